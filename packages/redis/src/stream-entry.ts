import type { ConnectorRecord, Headers, SinkRecord } from 'rivulet/connector';

/**
 * How a record is laid out as the fields of a Redis stream entry, shared by the source and the sink:
 * `value` (bytes; absent for a null value), optional `key` (bytes), optional `ts` (event time, decimal
 * ms since the epoch) and one `h:<name>` field per header. Other fields are ignored when reading.
 */
const HEADER_PREFIX = 'h:';
const SOURCE_STREAM = 'rivulet.source.stream';
const SOURCE_ID = 'rivulet.source.id';

/** Bytes as ioredis sends them verbatim (a Uint8Array that is not a Buffer would be stringified). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Appends the entry fields of `record` to `args` (the XADD argument list being built). */
export function pushEntryFields(args: Array<string | Buffer>, record: SinkRecord): void {
  if (record.value !== null) args.push('value', asBuffer(record.value));
  if (record.key !== null) args.push('key', asBuffer(record.key));
  args.push('ts', String(record.timestamp));
  if (record.headers !== undefined)
    for (const [name, value] of record.headers) args.push(HEADER_PREFIX + name, asBuffer(value));
}

/**
 * The record held by one entry as read with XREAD/XREADGROUP in Buffer mode: `id` and the flat
 * name/value field list. Adds the provenance headers `rivulet.source.stream` (`stream`, already bytes)
 * and `rivulet.source.id`. The record keeps references to the reply's buffers (no copies).
 */
export function recordFromEntry(stream: Buffer, id: Buffer, fields: readonly Buffer[]): ConnectorRecord {
  let key: Uint8Array | null = null;
  let value: Uint8Array | null = null;
  let timestamp = -1;
  const headers: Headers = new Map();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const field = fields[i + 1]!;
    if (isValueName(name)) value = field;
    else if (isKeyName(name)) key = field;
    else if (name.length === 2 && name[0] === 0x74 && name[1] === 0x73 && field.length > 0)
      timestamp = Number(field.toString('latin1'));
    else if (name.length > 2 && name[0] === 0x68 && name[1] === 0x3a)
      headers.set(name.toString('utf8', 2), field);
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    const text = id.toString('latin1');
    timestamp = Number(text.slice(0, text.indexOf('-')));
  }
  headers.set(SOURCE_STREAM, stream);
  headers.set(SOURCE_ID, id);
  return { key, value, timestamp, headers };
}

// Field names compared byte by byte: no string per field on the read path.
function isValueName(name: Buffer): boolean {
  return (
    name.length === 5 &&
    name[0] === 0x76 &&
    name[1] === 0x61 &&
    name[2] === 0x6c &&
    name[3] === 0x75 &&
    name[4] === 0x65
  );
}

function isKeyName(name: Buffer): boolean {
  return name.length === 3 && name[0] === 0x6b && name[1] === 0x65 && name[2] === 0x79;
}
