import type { Headers } from '../model/index.ts';
import type { EncodableRecord } from './record-batch.ts';

/**
 * Records to append, laid out for one `postMessage` from a worker thread to the thread that owns the
 * log: all key and value bytes in one buffer and three numbers per record in `meta` (timestamp, key
 * length, value length; -1 = null), both sent as transferables (no copy), and headers only for the
 * records that have any. Built by `packRecords`, read back by `unpackRecords`, whose records view `bytes`.
 */
export interface PackedRecords {
  count: number;
  bytes: Uint8Array;
  meta: Float64Array;
  /** [record index, header entries] for records with headers. */
  headers: Array<[number, Array<[string, Uint8Array]>]> | undefined;
}

function lengthOf(bytes: Uint8Array | null): number {
  return bytes === null ? -1 : bytes.length;
}

/** Packs `records` (records to append: keys and values are copied into one buffer). */
export function packRecords(records: readonly EncodableRecord[]): PackedRecords {
  const count = records.length;
  const meta = new Float64Array(count * 3);
  let size = 0;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    const keyLength = lengthOf(r.key);
    const valueLength = lengthOf(r.value);
    meta[i * 3] = r.timestamp;
    meta[i * 3 + 1] = keyLength;
    meta[i * 3 + 2] = valueLength;
    size += Math.max(keyLength, 0) + Math.max(valueLength, 0);
  }
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  let headers: PackedRecords['headers'];
  for (let i = 0; i < count; i++) {
    const { key, value, headers: h } = records[i]!;
    if (key !== null) {
      bytes.set(key, at);
      at += key.length;
    }
    if (value !== null) {
      bytes.set(value, at);
      at += value.length;
    }
    if (h !== undefined && h.size > 0) {
      headers ??= [];
      headers.push([i, [...h]]);
    }
  }
  return { count, bytes, meta, headers };
}

/** The ArrayBuffers a `postMessage` of `packed` can transfer instead of copying. */
export function packedTransferList(packed: PackedRecords): ArrayBuffer[] {
  return [packed.bytes.buffer as ArrayBuffer, packed.meta.buffer as ArrayBuffer];
}

/** The records of `packed`, ready to append; keys and values are views into its bytes. */
export function unpackRecords(packed: PackedRecords): EncodableRecord[] {
  const { count, meta } = packed;
  const bytes = Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
  const headerMap = new Map<number, Headers>();
  for (const [index, entries] of packed.headers ?? [])
    headerMap.set(
      index,
      new Map(entries.map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength)])),
    );
  const records = new Array<EncodableRecord>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const keyLength = meta[i * 3 + 1]!;
    const valueLength = meta[i * 3 + 2]!;
    let key: Buffer | null = null;
    let value: Buffer | null = null;
    if (keyLength >= 0) {
      key = bytes.subarray(at, at + keyLength);
      at += keyLength;
    }
    if (valueLength >= 0) {
      value = bytes.subarray(at, at + valueLength);
      at += valueLength;
    }
    records[i] = { key, value, timestamp: meta[i * 3]!, headers: headerMap.get(i) };
  }
  return records;
}
