import avsc from 'avsc';
import { custom, EngineError, type Format } from 'rivulet';

/**
 * An Avro schema: its JSON form (an object, an array for a union, a primitive name or JSON text) or an
 * avsc Type. Checked at run time by avsc (INVALID_ARGUMENT when it refuses it), so plain object literals
 * need no `as const`.
 */
export type AvroSchema = avsc.Type | string | object;

export interface AvroOptions {
  /**
   * The schema the pipeline reads with. Bytes are always written with the format's (writer) schema;
   * decoding resolves writer -> reader by Avro's rules: fields the reader adds need a default, fields it
   * drops are skipped, numeric promotions (int -> long/float/double, long -> float/double, float -> double,
   * string <-> bytes), enum symbols the reader knows, aliases. A pair that cannot be resolved is refused
   * when the format is created (SCHEMA_INCOMPATIBLE), never per record.
   */
  readerSchema?: AvroSchema;
}

/** A Format with the avsc types it was built from (for tools that need the schema itself). */
export type AvroFormat<T> = Format<T> & {
  readonly writerType: avsc.Type;
  readonly readerType: avsc.Type;
};

/**
 * Binary Avro values (no container header, no registry prefix: see `confluentAvro` for that). T is the
 * type the caller says the reader schema decodes to (`avro<Order>(schema)`), unknown otherwise.
 *
 * Records decode to avsc record instances (own enumerable fields, avsc helpers on the prototype), `long`
 * to a JS number, exact up to +-(2^53 - 1) (beyond: INVALID_RECORD), `bytes`/`fixed` to Buffers, unions
 * of null and one type to the value or null. `encode` writes with the (writer) schema and throws
 * INVALID_RECORD naming the first invalid field path; `decode` throws INVALID_RECORD on truncated,
 * trailing or invalid bytes. Both are synchronous and deterministic, as a Serde must be.
 */
export function avro<T = unknown>(schema: AvroSchema, options: AvroOptions = {}): AvroFormat<T> {
  const writerType = avroType(schema, 'schema');
  const readerType =
    options.readerSchema === undefined ? writerType : avroType(options.readerSchema, 'readerSchema');
  const decode = avroDecoder<T>(writerType, readerType);
  const encode = avroEncoder<T>(writerType);
  const name = `avro:${writerType.name ?? writerType.typeName}`;
  return Object.assign(custom<T>({ name, encode, decode }), { writerType, readerType });
}

/** Parses a schema into an avsc Type; a schema avsc refuses is INVALID_ARGUMENT naming the option. */
export function avroType(schema: AvroSchema, option: string): avsc.Type {
  if (avsc.Type.isType(schema)) return schema as avsc.Type;
  try {
    return avsc.Type.forSchema(
      typeof schema === 'string' ? parseSchemaText(schema) : (schema as avsc.Schema),
      {
        registry: { long: exactLong },
      },
    );
  } catch (error) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `avro: ${option} is not a valid Avro schema: ${message(error)}`,
      {
        cause: error,
        details: { format: 'avro', option },
      },
    );
  }
}

const TWO_32 = 2 ** 32;
/** Reused by `toBuffer` below: avsc packs the 8 bytes into its output before asking for the next long. */
const longScratch = Buffer.alloc(8);

/**
 * Avro `long` as a JS number, exact over the whole safe-integer range. avsc's built-in long zigzags in
 * doubles, which silently corrupts negative values below -2^52 (and misreads such values written by
 * other implementations); this one goes through the 8-byte two's complement form. Values outside
 * +-(2^53 - 1) are refused on encode and fail to decode (INVALID_RECORD).
 */
const exactLong = avsc.types.LongType.__with({
  fromBuffer(buf: Buffer): number {
    const n = buf.readInt32LE(4) * TWO_32 + buf.readUInt32LE(0);
    if (!Number.isSafeInteger(n)) throw new Error(`long ${buf.readBigInt64LE(0)} is beyond 2^53 - 1`);
    return n;
  },
  toBuffer(n: number): Buffer {
    const high = Math.floor(n / TWO_32);
    longScratch.writeUInt32LE(n - high * TWO_32, 0);
    longScratch.writeInt32LE(high, 4);
    return longScratch;
  },
  fromJSON: Number,
  toJSON: (n: number) => n,
  isValid: (n: unknown) => Number.isSafeInteger(n),
  compare: (a: number, b: number) => (a === b ? 0 : a < b ? -1 : 1),
});

/** A string schema is JSON text (`'{"type":"record",...}'`) or a primitive name (`'string'`). */
function parseSchemaText(text: string): avsc.Schema {
  const trimmed = text.trim();
  return trimmed.startsWith('{') || trimmed.startsWith('[') || trimmed.startsWith('"')
    ? (JSON.parse(trimmed) as avsc.Schema)
    : trimmed;
}

/**
 * The decoder of bytes written with `writer`, yielding `reader` values. The resolver is built here, once:
 * an incompatible pair throws SCHEMA_INCOMPATIBLE now.
 */
export function avroDecoder<T>(writer: avsc.Type, reader: avsc.Type): (bytes: Uint8Array) => T {
  const resolver = writer === reader || writer.equals(reader) ? undefined : resolverFor(writer, reader);
  return (bytes) => {
    try {
      return reader.fromBuffer(asBuffer(bytes), resolver) as T;
    } catch (error) {
      throw new EngineError(
        'INVALID_RECORD',
        `avro: cannot decode ${bytes.length} bytes: ${message(error)}`,
        {
          cause: error,
          details: { format: 'avro' },
        },
      );
    }
  };
}

/** The encoder of values of `type`; an invalid value is INVALID_RECORD naming the field path. */
export function avroEncoder<T>(type: avsc.Type): (value: T) => Uint8Array {
  return (value) => {
    try {
      return type.toBuffer(value);
    } catch (error) {
      // avsc takes only Buffers for bytes/fixed; values that crossed a thread or a store hold Uint8Arrays.
      const coerced = withBuffers(value);
      if (coerced !== value) return avroEncoder<unknown>(type)(coerced);
      throw new EngineError('INVALID_RECORD', `avro: cannot encode the value: ${invalidPaths(type, value)}`, {
        cause: error,
        details: { format: 'avro' },
      });
    }
  };
}

function resolverFor(writer: avsc.Type, reader: avsc.Type): ReturnType<avsc.Type['createResolver']> {
  try {
    return reader.createResolver(writer);
  } catch (error) {
    throw new EngineError(
      'SCHEMA_INCOMPATIBLE',
      `avro: data written with ${describe(writer)} cannot be read as ${describe(reader)}: ${message(error)}`,
      { cause: error, details: { format: 'avro' } },
    );
  }
}

/** The paths avsc's validator finds invalid (computed only on failure). */
export function invalidPaths(type: avsc.Type, value: unknown): string {
  const paths: string[] = [];
  type.isValid(value, {
    errorHook: (path, val, t) => {
      if (paths.length < 3)
        paths.push(
          `${path.length === 0 ? '(value)' : path.join('.')}: ${preview(val)} is not a ${describe(t)}`,
        );
    },
  });
  return paths.length === 0 ? 'not valid for the schema' : paths.join('; ');
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

function describe(type: avsc.Type): string {
  return type.name === undefined ? `"${type.typeName}"` : `${type.typeName} ${type.name}`;
}

/** A copy of `value` whose non-Buffer Uint8Arrays are Buffers (same bytes); `value` itself when it has none. */
export function withBuffers(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return asBuffer(value);
  let copy: Record<string, unknown> | unknown[] | undefined;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [k, v] of entries) {
    const c = withBuffers(v);
    if (c !== v) {
      copy ??= Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
      (copy as Record<string | number, unknown>)[k] = c;
    }
  }
  return copy ?? value;
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
