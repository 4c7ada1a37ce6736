import type { Headers } from '../model/index.ts';
import { LogRecord } from './log-record.ts';
import type { EncodableRecord } from './record-batch.ts';

/**
 * Records laid out for one `postMessage` between threads: all key and value bytes in one buffer (sent
 * as a transferable, so no copy), four numbers per record in `meta` (offset, timestamp, key length,
 * value length; -1 = null), and headers only for the records that have any. Built by `packRecords`,
 * read back by `unpackRecords`, whose records are views into `bytes` (no copy).
 */
export interface PackedRecords {
  count: number;
  bytes: Uint8Array;
  meta: Float64Array;
  /** [record index, header entries] for records with headers. */
  headers: Array<[number, Array<[string, Uint8Array]>]> | undefined;
}

type Packable = EncodableRecord | LogRecord;

function lengthOf(bytes: Uint8Array | null): number {
  return bytes === null ? -1 : bytes.length;
}

/** Packs `records` (log records or records to append; offsets of the latter are packed as -1). */
export function packRecords(records: readonly Packable[]): PackedRecords {
  const count = records.length;
  const meta = new Float64Array(count * 4);
  let size = 0;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    const keyLength = r instanceof LogRecord ? r.keyLength : lengthOf(r.key);
    const valueLength = r instanceof LogRecord ? r.valueLength : lengthOf(r.value);
    meta[i * 4] = r instanceof LogRecord ? r.offset : -1;
    meta[i * 4 + 1] = r.timestamp;
    meta[i * 4 + 2] = keyLength;
    meta[i * 4 + 3] = valueLength;
    size += Math.max(keyLength, 0) + Math.max(valueLength, 0);
  }
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  let headers: PackedRecords['headers'];
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    if (r instanceof LogRecord) {
      at = r.copyValue(bytes, r.copyKey(bytes, at));
    } else {
      if (r.key !== null) {
        bytes.set(r.key, at);
        at += r.key.length;
      }
      if (r.value !== null) {
        bytes.set(r.value, at);
        at += r.value.length;
      }
    }
    if (r.headers !== undefined && r.headers.size > 0) {
      headers ??= [];
      headers.push([i, [...r.headers]]);
    }
  }
  return { count, bytes, meta, headers };
}

/** The ArrayBuffers a `postMessage` of `packed` can transfer instead of copying. */
export function packedTransferList(packed: PackedRecords): ArrayBuffer[] {
  return [packed.bytes.buffer as ArrayBuffer, packed.meta.buffer as ArrayBuffer];
}

/** The records of `packed`, as log records viewing its bytes. */
export function unpackRecords(packed: PackedRecords): LogRecord[] {
  const { count, meta } = packed;
  const bytes = Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
  const headerMap = new Map<number, Headers>();
  for (const [index, entries] of packed.headers ?? [])
    headerMap.set(
      index,
      new Map(entries.map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength)])),
    );
  const records = new Array<LogRecord>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const keyLength = meta[i * 4 + 2]!;
    const valueLength = meta[i * 4 + 3]!;
    const keyStart = at;
    at += Math.max(keyLength, 0);
    const valueStart = at;
    at += Math.max(valueLength, 0);
    records[i] = new LogRecord(
      meta[i * 4]!,
      meta[i * 4 + 1]!,
      bytes,
      keyStart,
      keyLength,
      valueStart,
      valueLength,
      headerMap.get(i),
    );
  }
  return records;
}
