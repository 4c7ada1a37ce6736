import type { Headers } from '../model/index.ts';

/**
 * Where a sink or repartition operator hands encoded records. The writer picks the partition (murmur2 of
 * the key bytes, Kafka's default; unkeyed records spread round-robin), buffers, and makes them durable at
 * the task's next checkpoint (or at once in the test driver).
 */
export interface OutputWriter {
  write(
    key: Uint8Array | null,
    value: Uint8Array | null,
    timestamp: number,
    headers: Headers | undefined,
  ): void;
  /**
   * Writes a watermark of the task `source` (repartition topics only): a control record to every
   * partition, after the records written so far, so each reader learns how far that task's event time
   * has come (see watermark-record.ts).
   */
  watermark?(watermark: number, idle: boolean, source: number): void;
}
