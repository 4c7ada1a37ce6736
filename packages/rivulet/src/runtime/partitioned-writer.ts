import type { EncodableRecord, LogClient } from '../log/index.ts';
import { type Headers, partitionForKey } from '../model/index.ts';
import type { OutputWriter } from './output-writer.ts';
import { watermarkRecord } from './watermark-record.ts';

/**
 * Buffers records for one topic, partitioned like Kafka's default partitioner (murmur2 of the key bytes;
 * unkeyed records round-robin), and appends each partition's buffer as one append on `flush()`.
 * Remembers which partitions it wrote since `takeWritten()` so the checkpoint can sync and record them.
 * Not shared between concurrent flushes: the runner awaits one flush before the next.
 */
export class PartitionedWriter implements OutputWriter {
  readonly topic: string;
  readonly #log: LogClient;
  readonly #partitions: number;
  readonly #buffers: EncodableRecord[][];
  #buffered = 0;
  #inFlight = 0;
  #next = 0;
  readonly #written = new Set<number>();

  constructor(log: LogClient, topic: string) {
    this.#log = log;
    this.topic = topic;
    this.#partitions = log.topicConfig(topic).partitions;
    this.#buffers = Array.from({ length: this.#partitions }, () => []);
  }

  /** Records written but not yet appended, including appends still in flight. */
  get buffered(): number {
    return this.#buffered + this.#inFlight;
  }

  write(
    key: Uint8Array | null,
    value: Uint8Array | null,
    timestamp: number,
    headers: Headers | undefined,
  ): void {
    const partition = key === null ? this.#next++ % this.#partitions : partitionForKey(key, this.#partitions);
    this.#buffers[partition]!.push({ key, value, timestamp, headers });
    this.#buffered++;
  }

  /** Buffers a watermark control record for every partition (watermark-record.ts). */
  watermark(watermark: number, idle: boolean, source: number): void {
    for (let p = 0; p < this.#partitions; p++) {
      this.#buffers[p]!.push(watermarkRecord(watermark, idle, source));
      this.#buffered++;
    }
  }

  /** Appends everything buffered; resolves when every append is acknowledged. */
  async flush(): Promise<void> {
    if (this.#buffered === 0) return;
    const appends: Array<Promise<unknown>> = [];
    for (let p = 0; p < this.#partitions; p++) {
      const records = this.#buffers[p]!;
      if (records.length === 0) continue;
      this.#buffers[p] = [];
      this.#written.add(p);
      appends.push(this.#log.append(this.topic, p, records));
    }
    const count = this.#buffered;
    this.#inFlight += count;
    this.#buffered = 0;
    try {
      await Promise.all(appends);
    } finally {
      this.#inFlight -= count;
    }
  }

  /** The partitions written since the last call. */
  takeWritten(): number[] {
    const written = [...this.#written];
    this.#written.clear();
    return written;
  }
}
