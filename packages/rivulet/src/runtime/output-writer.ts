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
}
