import { connectorPipelineConformance } from 'rivulet/testing';
import { fileSinkHarness } from './file-sink-harness.ts';
import { boundedFileSourceHarness, fileSourceHarness } from './file-source-harness.ts';

// The file source (following and bounded) and the file sink driven by real pipeline runs on the embedded log.
connectorPipelineConformance('files (follow)', { source: fileSourceHarness, sink: fileSinkHarness });
connectorPipelineConformance('files (bounded)', { source: boundedFileSourceHarness });
