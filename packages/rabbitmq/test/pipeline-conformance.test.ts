import { connectorPipelineConformance } from 'rivulet/testing';
import {
  rabbitQueueSourceHarness,
  rabbitSinkHarness,
  rabbitStreamSourceHarness,
} from './rabbitmq-harness.ts';

// The queue source (acknowledged at checkpoints), the stream-queue source (by offset) and the sink driven
// by real pipeline runs on the embedded log.
connectorPipelineConformance('rabbitmq queue', { source: rabbitQueueSourceHarness, sink: rabbitSinkHarness });
connectorPipelineConformance('rabbitmq stream', { source: rabbitStreamSourceHarness });
