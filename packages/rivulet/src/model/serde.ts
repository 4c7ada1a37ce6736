import { isUtf8 } from 'node:buffer';
import { EngineError } from './engine-error.ts';

/**
 * Turns values into bytes and back. `decode` throws an EngineError (INVALID_RECORD, or INVALID_JSON for
 * JSON) on bytes it cannot read, so a deserialize boundary can route the record by its policy.
 * Implementations must be deterministic: equal values encode to equal bytes (state keys rely on it).
 */
export interface Serde<T> {
  readonly name: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** Strict UTF-8 decoding: invalid bytes are an error, never replaced (native check, then decode). */
function toText(bytes: Uint8Array): string {
  if (!isUtf8(bytes)) throw new EngineError('INVALID_RECORD', 'bytes are not valid UTF-8');
  return (
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  ).toString('utf8');
}

/** UTF-8 text. */
export const stringSerde: Serde<string> = {
  name: 'string',
  encode: (value) => Buffer.from(value, 'utf8'),
  decode: toText,
};

/** Raw bytes, unchanged. */
export const bytesSerde: Serde<Uint8Array> = {
  name: 'bytes',
  encode: (value) => value,
  decode: (bytes) => bytes,
};

/** JSON text (UTF-8). Deterministic only for values whose property order is deterministic. */
export function jsonSerde<T>(): Serde<T> {
  return {
    name: 'json',
    encode: (value) => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'),
    decode: (bytes) => {
      const text = toText(bytes);
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new EngineError(
          'INVALID_JSON',
          `not JSON: ${text.length > 80 ? `${text.slice(0, 80)}...` : text}`,
          { cause: error },
        );
      }
    },
  };
}

/** IEEE-754 doubles, 8 bytes big-endian (counts, sums, min/max). */
export const float64Serde: Serde<number> = {
  name: 'float64',
  encode: (value) => {
    const buf = Buffer.allocUnsafe(8);
    buf.writeDoubleBE(value, 0);
    return buf;
  },
  decode: (bytes) => {
    if (bytes.length !== 8)
      throw new EngineError('INVALID_RECORD', `a float64 needs 8 bytes, got ${bytes.length}`);
    return Buffer.from(bytes.buffer, bytes.byteOffset, 8).readDoubleBE(0);
  },
};
