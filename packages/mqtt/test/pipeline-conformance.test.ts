import { connectorPipelineConformance } from 'rivulet/testing';
import { mqttSinkHarness, mqttSourceHarness } from './mqtt-harness.ts';

// The MQTT source (QoS 1, persistent session) and sink driven by real pipeline runs on the embedded log.
connectorPipelineConformance('mqtt', { source: mqttSourceHarness, sink: mqttSinkHarness });
