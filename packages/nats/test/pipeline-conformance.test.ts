import { connectorPipelineConformance } from 'rivulet/testing';
import { jetStreamSinkHarness, jetStreamSourceHarness } from './jetstream-harness.ts';
import { natsSinkHarness } from './nats-harness.ts';

// The JetStream source and sink, and the core NATS sink, driven by real pipeline runs on the embedded log
// (the core NATS source is at-most-once: the engine-level suite skips it).
connectorPipelineConformance('jetstream', { source: jetStreamSourceHarness, sink: jetStreamSinkHarness });
connectorPipelineConformance('core nats', { sink: natsSinkHarness });
