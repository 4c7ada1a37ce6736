import { deserialize, serialize } from 'node:v8';
import { Packr } from 'msgpackr';
import { bytesSerde, EngineError, float64Serde, jsonSerde, type Serde, stringSerde } from '../model/index.ts';
import type { FormatSpec, Plan } from '../plan/index.ts';

const json = jsonSerde<unknown>();

const TAG_JSON = 0x4a; // 'J': written by earlier versions, still read
const TAG_MSGPACK = 0x4d; // 'M'
const TAG_V8 = 0x56; // 'V'

// Plain MessagePack (no record extension, so every message stands alone).
const msgpack = new Packr({ useRecords: false });

/**
 * True when MessagePack (msgpackr) gives back an equal value: plain JSON data (same types, same keys),
 * plus `undefined` (kept as a property or element that is undefined, as msgpackr encodes it).
 */
function packsExactly(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          if (!(i in value) || !packsExactly(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        // MessagePack decoding would not give an own '__proto__' key back.
        if (key === '__proto__') return false;
        if (!packsExactly((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return Object.getOwnPropertySymbols(value).length === 0;
    }
    default:
      return false;
  }
}

/**
 * Structured values, exactly: a tag byte, then MessagePack when the value is plain JSON data, undefined
 * fields allowed (about 2x cheaper than JSON and 10x cheaper than v8 serialisation, both ways), else
 * v8.serialize (Date, Map, Set, BigInt, typed arrays, sparse arrays...). Tagged JSON from earlier
 * versions is still read.
 */
const structuredSerde: Serde<unknown> = {
  name: 'structured',
  encode: (value) => {
    if (packsExactly(value)) {
      const body = msgpack.pack(value);
      const out = Buffer.allocUnsafe(1 + body.length);
      out[0] = TAG_MSGPACK;
      body.copy(out, 1);
      return out;
    }
    const body = serialize(value);
    const out = Buffer.allocUnsafe(1 + body.length);
    out[0] = TAG_V8;
    body.copy(out, 1);
    return out;
  },
  decode: (bytes) => {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    try {
      if (buf[0] === TAG_MSGPACK) return msgpack.unpack(buf.subarray(1));
      if (buf[0] === TAG_JSON) return JSON.parse(buf.toString('utf8', 1));
      if (buf[0] === TAG_V8) return deserialize(buf.subarray(1));
    } catch (error) {
      throw new EngineError('INVALID_RECORD', 'bytes are not a structured value', { cause: error });
    }
    throw new EngineError('INVALID_RECORD', 'bytes are not a structured value (unknown tag)');
  },
};

/**
 * The Serde for a plan's FormatSpec. A JSON format with a schema validates every decoded value with the
 * plan's validator function (throws INVALID_RECORD with the schema's message).
 */
export function codecFor(spec: FormatSpec, plan: Plan): Serde<unknown> {
  switch (spec.kind) {
    case 'string':
      return stringSerde as Serde<unknown>;
    case 'bytes':
      return bytesSerde as Serde<unknown>;
    case 'float64':
      return float64Serde as Serde<unknown>;
    case 'structured':
      return structuredSerde;
    case 'custom': {
      const encode = plan.functions.get(spec.encode) as unknown as (value: unknown) => Uint8Array;
      const decode = plan.functions.get(spec.decode) as unknown as (bytes: Uint8Array) => unknown;
      return { name: spec.name, encode, decode };
    }
    case 'json': {
      if (spec.schema === undefined) return json;
      const validate = plan.functions.get(spec.schema) as unknown as (value: unknown) => unknown;
      return { name: 'json+schema', encode: json.encode, decode: (bytes) => validate(json.decode(bytes)) };
    }
  }
}
