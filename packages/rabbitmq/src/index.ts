/**
 * @rivulet/rabbitmq: RabbitMQ (AMQP 0-9-1) connectors. Sources: a queue read with manual acknowledgements
 * (at-least-once) and a stream queue read by offset (exactly-once replay); sink: confirmed publishing
 * (at-least-once, with the record id as message-id).
 */
export {
  type RabbitQueueSourceOptions,
  rabbitQueueSource,
  rabbitQueueSourceFeatures,
} from './rabbit-queue-source.ts';
export { type RabbitSinkOptions, rabbitSink } from './rabbit-sink.ts';
export {
  type RabbitStreamSourceOptions,
  rabbitStreamSource,
  rabbitStreamSourceFeatures,
} from './rabbit-stream-source.ts';
