import type { Clock } from '../model/index.ts';
import type { DurabilityConfig } from './durability.ts';

/** Everything a partition needs, resolved from the log's and topic's options. */
export interface PartitionConfig {
  topic: string;
  partition: number;
  dir: string;
  clock: Clock;
  durability: DurabilityConfig;
  segmentBytes: number;
  indexIntervalBytes: number;
  maxBatchBytes: number;
  maxRecordBytes: number;
  /** Codec id for new batches (compression.ts). */
  codec: number;
  cleanup: 'delete' | 'compact';
  /** Sealed segments whose newest record is older than this are deleted; undefined keeps forever. */
  retentionMs: number | undefined;
  /** Oldest sealed segments are deleted while the partition stays at or above this size. */
  retentionBytes: number | undefined;
  /** Compacted topics drop a tombstone this long after its timestamp. */
  tombstoneRetentionMs: number;
}
