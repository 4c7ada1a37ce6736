import type { Serde } from '../../model/index.ts';
import type { OutputWriter } from '../output-writer.ts';
import type { StreamRecord } from '../stream-record.ts';
import { Operator } from './operator.ts';

/**
 * Encodes records with the sink's key and value formats and hands them to the writer (a user topic, or a
 * repartition topic). A record whose key is undefined or null is written without a key; a null value
 * is a tombstone. An unencodable value surfaces as the serde's error naming this operator.
 */
export class SinkOperator extends Operator {
  /**
   * `watermarkSource`, for a repartition topic: the writing task's partition, under which its watermarks
   * are written to the topic (user topics get no watermarks).
   */
  constructor(
    label: string,
    private readonly keySerde: Serde<unknown>,
    private readonly valueSerde: Serde<unknown>,
    private readonly writer: OutputWriter,
    private readonly watermarkSource?: number,
  ) {
    super(label);
    this.boundary = 'produce';
  }

  override onWatermark(watermark: number, idle: boolean): void {
    if (this.watermarkSource !== undefined) this.writer.watermark?.(watermark, idle, this.watermarkSource);
  }

  process(batch: StreamRecord[]): void {
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
    }
  }
}
