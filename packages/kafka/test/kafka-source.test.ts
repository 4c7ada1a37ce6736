import { sourceConformance } from 'rivulet/connector/conformance';
import { kafkaSourceHarness } from './kafka-harness.ts';

sourceConformance(
  process.env.KAFKA_BOOTSTRAP ? 'kafka (KAFKA_BOOTSTRAP)' : 'kafka (librdkafka mock)',
  kafkaSourceHarness,
);
