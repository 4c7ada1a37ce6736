import { sinkConformance } from 'rivulet/connector/conformance';
import { kafkaSinkHarness } from './kafka-harness.ts';

sinkConformance(
  process.env.KAFKA_BOOTSTRAP ? 'kafka (KAFKA_BOOTSTRAP)' : 'kafka (librdkafka mock)',
  kafkaSinkHarness,
);
