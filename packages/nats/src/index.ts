/**
 * @rivulet/nats: NATS JetStream and core NATS sources and sinks for Rivulet pipelines.
 */
export { type JetStreamSinkOptions, jetStreamSink } from './jetstream-sink.ts';
export { type JetStreamSourceOptions, jetStreamSource } from './jetstream-source.ts';
export { type NatsSinkOptions, natsSink } from './nats-sink.ts';
export { type NatsSourceOptions, natsSource } from './nats-source.ts';
