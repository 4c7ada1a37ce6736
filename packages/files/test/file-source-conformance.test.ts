import { sourceConformance } from 'rivulet/connector/conformance';
import { boundedFileSourceHarness, fileSourceHarness } from './file-source-harness.ts';

sourceConformance('files (jsonl, follow)', fileSourceHarness);
sourceConformance('files (jsonl, bounded)', boundedFileSourceHarness);
