export { CdcPosition } from './cdc-position.ts';
export type { ValueShape } from './change-record.ts';
export { type PostgresCdcSourceOptions, postgresCdcSource } from './postgres-cdc-source.ts';
export { type PostgresUpsertSinkOptions, postgresUpsertSink } from './postgres-upsert-sink.ts';
