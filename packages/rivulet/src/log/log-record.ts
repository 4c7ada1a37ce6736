import type { Headers } from '../model/index.ts';

/**
 * A record read from the log. Key and value are views into the buffer the fetch read (no copy), made on
 * each access; keep the record only as long as you need it, since it keeps that buffer alive.
 */
export class LogRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly headers: Headers | undefined;
  readonly #buffer: Buffer;
  readonly #keyStart: number;
  readonly #keyLength: number;
  readonly #valueStart: number;
  readonly #valueLength: number;

  constructor(
    offset: number,
    timestamp: number,
    buffer: Buffer,
    keyStart: number,
    keyLength: number,
    valueStart: number,
    valueLength: number,
    headers: Headers | undefined,
  ) {
    this.offset = offset;
    this.timestamp = timestamp;
    this.#buffer = buffer;
    this.#keyStart = keyStart;
    this.#keyLength = keyLength;
    this.#valueStart = valueStart;
    this.#valueLength = valueLength;
    this.headers = headers;
  }

  /** The key bytes, or null for a record without key. */
  get key(): Buffer | null {
    return this.#keyLength < 0
      ? null
      : this.#buffer.subarray(this.#keyStart, this.#keyStart + this.#keyLength);
  }

  /** The value bytes, or null for a tombstone. */
  get value(): Buffer | null {
    return this.#valueLength < 0
      ? null
      : this.#buffer.subarray(this.#valueStart, this.#valueStart + this.#valueLength);
  }

  /** The key as UTF-8 text without an intermediate view. */
  keyString(): string | null {
    return this.#keyLength < 0
      ? null
      : this.#buffer.toString('utf8', this.#keyStart, this.#keyStart + this.#keyLength);
  }

  /** The value as UTF-8 text without an intermediate view. */
  valueString(): string | null {
    return this.#valueLength < 0
      ? null
      : this.#buffer.toString('utf8', this.#valueStart, this.#valueStart + this.#valueLength);
  }

  get valueSize(): number {
    return Math.max(this.#valueLength, 0);
  }
}
