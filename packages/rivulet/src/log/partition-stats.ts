import type { HistogramSnapshot } from '../model/index.ts';

/**
 * One partition's size and its write counters since the log was opened (Log.partitionStats()). Plain
 * numbers: the server turns them into metrics.
 */
export interface PartitionStats {
  topic: string;
  partition: number;
  /** An engine topic (name starting with '__'). */
  internal: boolean;
  sizeBytes: number;
  logStartOffset: number;
  highWatermark: number;
  /** Records acknowledged by appends (idempotent duplicates not counted). */
  appendedRecords: number;
  /** Bytes those appends wrote: encoded batches, headers included, after compression. */
  appendedBytes: number;
  /**
   * Durable syncs and their duration (ms): every fdatasync of a segment, and under `fsync` durability
   * every group write (its segment is opened O_DSYNC, so the write is the sync).
   */
  syncs: HistogramSnapshot;
}
