import { connectorPipelineConformance } from 'rivulet/testing';
import { kafkaSinkHarness, kafkaSourceHarness } from './kafka-harness.ts';

// The Kafka source and sink driven by real pipeline runs on the embedded log (against the mock cluster).
connectorPipelineConformance('kafka', { source: kafkaSourceHarness, sink: kafkaSinkHarness });
