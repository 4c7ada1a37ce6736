import type { Headers } from '../model/index.ts';

/**
 * A record inside a task: decoded key and value, timestamp, headers. Operators may replace `value` and
 * `key` in place when they are the only reader of the record (the operator graph copies records where a
 * stream fans out), so a record belongs to one branch of the graph at a time.
 */
export class StreamRecord {
  key: unknown;
  value: unknown;
  timestamp: number;
  headers: Headers | undefined;
  /** The offset of the input record it came from (-1 when it did not come from a topic). */
  offset: number;

  constructor(key: unknown, value: unknown, timestamp: number, headers: Headers | undefined, offset = -1) {
    this.key = key;
    this.value = value;
    this.timestamp = timestamp;
    this.headers = headers;
    this.offset = offset;
  }

  copy(): StreamRecord {
    return new StreamRecord(this.key, this.value, this.timestamp, this.headers, this.offset);
  }
}
