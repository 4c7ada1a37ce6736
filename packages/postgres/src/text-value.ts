/**
 * How a column's text form (pgoutput sends text) becomes a JSON value: numbers for int2/int4/oid, int8
 * while it is a safe integer, and finite float4/float8; booleans; json/jsonb embedded as JSON; every
 * other type (numeric, timestamps, uuid, bytea, arrays...) as Postgres's own text, which loses nothing.
 * Parsers also count the text bytes they see into `counter`, which the CDC reader uses to bound its
 * read-ahead without measuring records twice.
 */

export interface ByteCounter {
  bytes: number;
}

type TextParser = (text: string) => unknown;

const INT_TYPES = new Set([21, 23, 26]); // int2, int4, oid
const FLOAT_TYPES = new Set([700, 701]); // float4, float8
const JSON_TYPES = new Set([114, 3802]); // json, jsonb
const BOOL = 16;
const INT8 = 20;

export function textValueParser(typeOid: number, counter: ByteCounter): TextParser {
  if (INT_TYPES.has(typeOid))
    return (text) => {
      counter.bytes += text.length;
      return Number(text);
    };
  if (typeOid === INT8)
    return (text) => {
      counter.bytes += text.length;
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    };
  if (FLOAT_TYPES.has(typeOid))
    return (text) => {
      counter.bytes += text.length;
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    };
  if (typeOid === BOOL)
    return (text) => {
      counter.bytes += 1;
      return text === 't';
    };
  if (JSON_TYPES.has(typeOid))
    return (text) => {
      counter.bytes += text.length;
      return JSON.parse(text);
    };
  return (text) => {
    counter.bytes += text.length;
    return text;
  };
}
