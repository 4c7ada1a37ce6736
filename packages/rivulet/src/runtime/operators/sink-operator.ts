import { BucketHistogram, LATENCY_BUCKETS_MS, type Serde } from '../../model/index.ts';
import type { LocalExchange } from '../local-exchange.ts';
import type { OutputWriter } from '../output-writer.ts';
import type { StreamRecord } from '../stream-record.ts';
import { Operator } from './operator.ts';

/**
 * Encodes records with the sink's key and value formats and hands them to the writer (a user topic, or a
 * repartition topic). A record whose key is undefined or null is written without a key; a null value
 * is a tombstone. An unencodable value surfaces as the serde's error naming this operator. `recordsOut`
 * counts the records written.
 */
export class SinkOperator extends Operator {
  /** End-to-end latency of the records written (clock minus record timestamp, ms), when measured. */
  readonly latency: BucketHistogram | undefined;

  /**
   * `watermarkSource`, for a repartition topic: the writing task's partition, under which its watermarks
   * are written to the topic (user topics get no watermarks). `clock`: processing time, for a sink
   * whose end-to-end latency is measured (user topics).
   */
  constructor(
    label: string,
    private readonly keySerde: Serde<unknown>,
    private readonly valueSerde: Serde<unknown>,
    private readonly writer: OutputWriter,
    private readonly watermarkSource?: number,
    private readonly clock?: () => number,
  ) {
    super(label);
    this.boundary = 'produce';
    this.latency = clock === undefined ? undefined : new BucketHistogram(LATENCY_BUCKETS_MS);
  }

  /**
   * For a repartition topic exchanged in memory (local-exchange.ts, set by the TaskSet before the first
   * record): records and watermarks go there, unencoded, instead of to the writer. Only the key is
   * encoded, to choose the partition as the topic's writer would.
   */
  exchange: LocalExchange | undefined;

  override onWatermark(watermark: number, idle: boolean): void {
    if (this.watermarkSource === undefined) return;
    if (this.exchange !== undefined) this.exchange.watermark(watermark, idle, this.watermarkSource);
    else this.writer.watermark?.(watermark, idle, this.watermarkSource);
  }

  process(batch: StreamRecord[]): void {
    if (this.exchange !== undefined) {
      this.#exchange(batch, this.exchange);
      return;
    }
    const latency = this.latency;
    const now = latency === undefined ? 0 : this.clock!();
    let written = 0;
    for (const record of batch) {
      let key: Uint8Array | null;
      let value: Uint8Array | null;
      try {
        key = record.key === undefined || record.key === null ? null : this.keySerde.encode(record.key);
        value = record.value === null ? null : this.valueSerde.encode(record.value);
      } catch (error) {
        this.reject(error, record);
        continue;
      }
      this.writer.write(key, value, record.timestamp, record.headers);
      latency?.observe(now - record.timestamp);
      written++;
    }
    this.recordsOut += written;
  }

  #exchange(batch: StreamRecord[], exchange: LocalExchange): void {
    let passed = 0;
    for (const record of batch) {
      let key: Uint8Array | null;
      try {
        key = record.key === undefined || record.key === null ? null : this.keySerde.encode(record.key);
      } catch (error) {
        this.reject(error, record);
        continue;
      }
      // As a reader of the topic would see it: a record without key bytes has a null key.
      if (key === null) record.key = null;
      exchange.push(key, record, this.errors?.source);
      passed++;
    }
    this.recordsOut += passed;
  }
}
