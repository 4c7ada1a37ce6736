export { type CompactionResult, compactPartition } from './compaction.ts';
export { type Compression, compressionSupported } from './compression.ts';
export { Consumer, type ConsumerBatch, type ConsumerOptions, type StartPosition } from './consumer.ts';
export { crc32c, crc32cIsNative, crc32cPortable } from './crc32c.ts';
export {
  type DurabilityConfig,
  type DurabilityOptions,
  formatDurability,
  resolveDurability,
} from './durability.ts';
export type { AppendResult, FetchResult } from './fetch-result.ts';
export { createLog, Log, type LogOptions, type PartitionDescription, type TopicDescription } from './log.ts';
export type { LogClient, PartitionClient } from './log-client.ts';
export { LogRecord } from './log-record.ts';
export { OFFSETS_TOPIC } from './offset-store.ts';
export {
  type PackedRecords,
  packedTransferList,
  packRecords,
  unpackRecords,
} from './packed-records.ts';
export type { Partition } from './partition.ts';
export type { PartitionStats } from './partition-stats.ts';
export { Producer, type ProducerOptions, type SendResult } from './producer.ts';
export {
  BATCH_HEADER_BYTES,
  type BatchProducer,
  checkBatch,
  decodeBatches,
  decodeBatchRecords,
  type EncodableRecord,
  encodeBatch,
  readBatchHeader,
} from './record-batch.ts';
export type { TopicConfig, TopicOptions } from './topic-config.ts';
export type { TopicPartition, TopicPartitionOffset } from './topic-partition.ts';
export { type VerifyProblem, type VerifyReport, verifyLog } from './verify.ts';
