export type { ParquetColumn, ParquetColumnsOption, ParquetColumnType } from './parquet-columns.ts';
export { type ParquetSinkOptions, parquetSink } from './parquet-sink.ts';
export type { ParquetS3Target } from './s3-client.ts';
