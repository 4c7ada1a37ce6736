import { sourceConformance } from 'rivulet/connector/conformance';
import { rabbitStreamSourceHarness } from './rabbitmq-harness.ts';

sourceConformance('rabbitStreamSource', rabbitStreamSourceHarness);
