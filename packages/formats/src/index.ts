export { type AvroFormat, type AvroOptions, type AvroSchema, avro } from './avro-format.ts';
export { type ConfluentAvroFormat, type ConfluentAvroOptions, confluentAvro } from './confluent-avro.ts';
export { type CsvFormat, type CsvOptions, csv } from './csv-format.ts';
export { type ProtobufFormat, type ProtobufTypeOption, protobuf } from './protobuf-format.ts';
export {
  createSchemaRegistry,
  type RegisteredSchema,
  type SchemaRegistry,
  type SchemaRegistryOptions,
  type SubjectVersion,
} from './schema-registry.ts';
