import type { Headers } from '../model/index.ts';

/** The input record a StreamRecord was decoded from: what a dead letter carries. */
export interface RecordOrigin {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: Headers | undefined;
  readonly offset: number;
}

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
  /** The input record it came from, for dead letters (undefined in the test driver). */
  origin: RecordOrigin | undefined;

  constructor(
    key: unknown,
    value: unknown,
    timestamp: number,
    headers: Headers | undefined,
    offset = -1,
    origin?: RecordOrigin,
  ) {
    this.key = key;
    this.value = value;
    this.timestamp = timestamp;
    this.headers = headers;
    this.offset = offset;
    this.origin = origin;
  }

  copy(): StreamRecord {
    return new StreamRecord(this.key, this.value, this.timestamp, this.headers, this.offset, this.origin);
  }

  /** A new record for a value derived from this one (same key, time, headers and origin). */
  derive(value: unknown): StreamRecord {
    return new StreamRecord(this.key, value, this.timestamp, this.headers, this.offset, this.origin);
  }
}
