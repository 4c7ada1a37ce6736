import { sourceConformance } from 'rivulet/connector/conformance';
import { rabbitQueueSourceHarness } from './rabbitmq-harness.ts';

sourceConformance('rabbitQueueSource', rabbitQueueSourceHarness);
