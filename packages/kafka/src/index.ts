/** @rivulet/kafka: Kafka source and sink for Rivulet (client: @platformatic/kafka). */
export { type KafkaSinkOptions, kafkaSink } from './kafka-sink.ts';
export { type KafkaSourceOptions, kafkaSource } from './kafka-source.ts';
