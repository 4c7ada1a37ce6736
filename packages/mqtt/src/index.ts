/** @rivulet/mqtt: MQTT source (QoS 0/1, persistent sessions, PUBACK at commit) and sink (QoS 1). */
export { type MqttSinkOptions, mqttSink } from './mqtt-sink.ts';
export { type MqttSourceOptions, mqttSource } from './mqtt-source.ts';
