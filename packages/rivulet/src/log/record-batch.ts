import { EngineError, type Headers } from '../model/index.ts';
import { compress, decompress } from './compression.ts';
import { crc32c } from './crc32c.ts';
import { LogRecord } from './log-record.ts';
import { type Cursor, readZigzag, writeZigzag, zigzagSize } from './varint.ts';

/**
 * The on-disk and in-memory record batch, modelled on Kafka's v2 batch. Big-endian fixed header:
 *
 *   0 length u32          bytes after this field
 *   4 crc u32             CRC32C of bytes [8, 4 + length): everything after the CRC, so every header
 *                         field (including the base offset) is covered
 *   8 magic u8 = 2
 *   9 attributes u16      bits 0-2 compression codec
 *  11 baseOffset i64
 *  19 lastOffsetDelta i32
 *  23 firstTimestamp i64
 *  31 maxTimestamp i64
 *  39 producerId i64      -1 when not idempotent
 *  47 producerEpoch i16
 *  49 baseSequence i32
 *  53 recordCount i32
 *  57 records            (compressed as a whole when the codec is not 0)
 *
 * Each record: length, attributes (i8, 0), timestampDelta, offsetDelta, keyLength (-1 = null), key,
 * valueLength (-1 = tombstone), value, headerCount, then per header keyLength, key (UTF-8), valueLength,
 * value; all lengths and deltas are zig-zag varints.
 */
export const BATCH_HEADER_BYTES = 57;
export const BATCH_MAGIC = 2;
export const NO_PRODUCER = -1;
const TWO_32 = 4294967296;

/** A record normalised for encoding: bytes only, timestamp resolved. */
export interface EncodableRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Headers | undefined;
  timestamp: number;
}

export interface BatchProducer {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export interface BatchHeader {
  /** Total bytes of the batch including the length field. */
  size: number;
  attributes: number;
  baseOffset: number;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const high = Math.floor(value / TWO_32);
  buf.writeInt32BE(high, pos);
  buf.writeUInt32BE(value - high * TWO_32, pos + 4);
}

export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Encoded size of one record including its length prefix. */
export function recordSize(record: EncodableRecord, timestampDelta: number, offsetDelta: number): number {
  const body = recordBodySize(record, timestampDelta, offsetDelta);
  return zigzagSize(body) + body;
}

function recordBodySize(record: EncodableRecord, timestampDelta: number, offsetDelta: number): number {
  const keyLength = record.key === null ? -1 : record.key.length;
  const valueLength = record.value === null ? -1 : record.value.length;
  let size =
    1 +
    zigzagSize(timestampDelta) +
    zigzagSize(offsetDelta) +
    zigzagSize(keyLength) +
    Math.max(keyLength, 0) +
    zigzagSize(valueLength) +
    Math.max(valueLength, 0);
  const headers = record.headers;
  if (headers === undefined || headers.size === 0) return size + 1;
  size += zigzagSize(headers.size);
  for (const [name, value] of headers) {
    const nameLength = utf8Length(name);
    size += zigzagSize(nameLength) + nameLength + zigzagSize(value.length) + value.length;
  }
  return size;
}

function writeRecord(
  buf: Buffer,
  pos: number,
  record: EncodableRecord,
  timestampDelta: number,
  offsetDelta: number,
): number {
  pos = writeZigzag(buf, pos, recordBodySize(record, timestampDelta, offsetDelta));
  buf[pos++] = 0;
  pos = writeZigzag(buf, pos, timestampDelta);
  pos = writeZigzag(buf, pos, offsetDelta);
  const key = record.key;
  if (key === null) pos = writeZigzag(buf, pos, -1);
  else {
    pos = writeZigzag(buf, pos, key.length);
    buf.set(key, pos);
    pos += key.length;
  }
  const value = record.value;
  if (value === null) pos = writeZigzag(buf, pos, -1);
  else {
    pos = writeZigzag(buf, pos, value.length);
    buf.set(value, pos);
    pos += value.length;
  }
  const headers = record.headers;
  if (headers === undefined || headers.size === 0) {
    buf[pos++] = 0;
    return pos;
  }
  pos = writeZigzag(buf, pos, headers.size);
  for (const [name, headerValue] of headers) {
    const nameLength = utf8Length(name);
    pos = writeZigzag(buf, pos, nameLength);
    pos += buf.write(name, pos, 'utf8');
    pos = writeZigzag(buf, pos, headerValue.length);
    buf.set(headerValue, pos);
    pos += headerValue.length;
  }
  return pos;
}

export interface EncodeBatchOptions {
  baseOffset: number;
  producer?: BatchProducer | undefined;
  /** Codec id (compression.ts); 0 = none. */
  codec?: number;
  /** Offset of each record relative to baseOffset; dense (0, 1, 2...) when absent. Used by compaction. */
  offsetDeltas?: readonly number[];
  /**
   * Supplies the buffer the batch is encoded into, exactly `size` bytes (Buffer.allocUnsafe when absent).
   * The partition writer passes slices of a reused write buffer, which saves a fresh allocation and its
   * page faults per batch.
   */
  allocate?: ((size: number) => Buffer) | undefined;
}

/**
 * Encodes `records[from, to)` as one batch. `sizeHint`, when given, must be the exact sum of
 * `recordSize` for dense offsets (the producer computes it while validating); it saves one pass.
 */
export function encodeBatch(
  records: readonly EncodableRecord[],
  from: number,
  to: number,
  options: EncodeBatchOptions,
): Buffer {
  const count = to - from;
  let firstTimestamp = records[from]!.timestamp;
  let maxTimestamp = firstTimestamp;
  for (let i = from + 1; i < to; i++) {
    const ts = records[i]!.timestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    if (ts < firstTimestamp) firstTimestamp = ts;
  }
  const deltas = options.offsetDeltas;
  let bodySize = 0;
  for (let i = from; i < to; i++) {
    const record = records[i]!;
    bodySize += recordSize(
      record,
      record.timestamp - firstTimestamp,
      deltas === undefined ? i - from : deltas[i - from]!,
    );
  }
  const codec = options.codec ?? 0;
  let body: Buffer | undefined;
  let batch: Buffer;
  let pos: number;
  const allocate = options.allocate ?? Buffer.allocUnsafe;
  if (codec === 0) {
    batch = allocate(BATCH_HEADER_BYTES + bodySize);
    pos = BATCH_HEADER_BYTES;
  } else {
    body = Buffer.allocUnsafe(bodySize);
    batch = body;
    pos = 0;
  }
  for (let i = from; i < to; i++) {
    const record = records[i]!;
    pos = writeRecord(
      batch,
      pos,
      record,
      record.timestamp - firstTimestamp,
      deltas === undefined ? i - from : deltas[i - from]!,
    );
  }
  if (body !== undefined) {
    const compressed = compress(codec, body);
    batch = allocate(BATCH_HEADER_BYTES + compressed.length);
    compressed.copy(batch, BATCH_HEADER_BYTES);
  }
  const producer = options.producer;
  batch.writeUInt32BE(batch.length - 4, 0);
  batch[8] = BATCH_MAGIC;
  batch.writeUInt16BE(codec & 7, 9);
  writeInt64(batch, 11, options.baseOffset);
  batch.writeInt32BE(deltas === undefined ? count - 1 : deltas[count - 1]!, 19);
  writeInt64(batch, 23, firstTimestamp);
  writeInt64(batch, 31, maxTimestamp);
  writeInt64(batch, 39, producer === undefined ? NO_PRODUCER : producer.producerId);
  batch.writeInt16BE(producer === undefined ? -1 : producer.producerEpoch, 47);
  batch.writeInt32BE(producer === undefined ? -1 : producer.baseSequence, 49);
  batch.writeInt32BE(count, 53);
  batch.writeUInt32BE(crc32c(batch, 8, batch.length), 4);
  return batch;
}

/** Result of checking the bytes at a position: a whole valid batch, too few bytes yet, or invalid. */
export type BatchCheck = 'ok' | 'incomplete' | 'invalid';

/**
 * Checks the batch starting at `pos` in `buf[.., end)`: length sane, all bytes present, magic, CRC.
 * `maxBatchBytes` bounds the length field so garbage cannot ask for gigabytes.
 */
export function checkBatch(buf: Buffer, pos: number, end: number, maxBatchBytes: number): BatchCheck {
  if (end - pos < 4) return 'incomplete';
  const length = buf.readUInt32BE(pos);
  if (length < BATCH_HEADER_BYTES - 4 || length > maxBatchBytes) return 'invalid';
  if (end - pos < 4 + length)
    return end - pos >= BATCH_HEADER_BYTES && buf[pos + 8] !== BATCH_MAGIC ? 'invalid' : 'incomplete';
  if (buf[pos + 8] !== BATCH_MAGIC) return 'invalid';
  if (crc32c(buf, pos + 8, pos + 4 + length) !== buf.readUInt32BE(pos + 4)) return 'invalid';
  const count = buf.readInt32BE(pos + 53);
  const lastDelta = buf.readInt32BE(pos + 19);
  if (count <= 0 || lastDelta < count - 1) return 'invalid';
  return 'ok';
}

/** Reads the fixed header of a batch already checked with `checkBatch`. */
export function readBatchHeader(buf: Buffer, pos: number): BatchHeader {
  return {
    size: buf.readUInt32BE(pos) + 4,
    attributes: buf.readUInt16BE(pos + 9),
    baseOffset: readInt64(buf, pos + 11),
    lastOffsetDelta: buf.readInt32BE(pos + 19),
    firstTimestamp: readInt64(buf, pos + 23),
    maxTimestamp: readInt64(buf, pos + 31),
    producerId: readInt64(buf, pos + 39),
    producerEpoch: buf.readInt16BE(pos + 47),
    baseSequence: buf.readInt32BE(pos + 49),
    recordCount: buf.readInt32BE(pos + 53),
  };
}

export function batchBaseOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + 11);
}

export function batchLastOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + 11) + buf.readInt32BE(pos + 19);
}

export function batchMaxTimestamp(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + 31);
}

function corrupt(what: string, details: Record<string, unknown>): EngineError {
  return new EngineError('CORRUPT_BATCH', `corrupt record batch: ${what}`, { details });
}

const cursor: Cursor = { pos: 0 };

/**
 * Decodes whole, already checked batches laid end to end in `buf` (what `Partition.fetchBatches`
 * returns), keeping records with `fromOffset <= offset < toOffset`.
 */
export function decodeBatches(buf: Buffer, fromOffset: number, toOffset: number): LogRecord[] {
  const records: LogRecord[] = [];
  let pos = 0;
  while (pos + 4 <= buf.length) {
    decodeBatchRecords(buf, pos, fromOffset, records);
    pos += buf.readUInt32BE(pos) + 4;
  }
  while (records.length > 0 && records[records.length - 1]!.offset >= toOffset) records.pop();
  return records;
}

/**
 * Decodes the records of a checked batch at `pos` and appends those with offset >= `minOffset` to `out`.
 * Throws CORRUPT_BATCH when the record section contradicts the header (a CRC collision or a writer bug).
 */
export function decodeBatchRecords(buf: Buffer, pos: number, minOffset: number, out: LogRecord[]): void {
  const size = buf.readUInt32BE(pos) + 4;
  const codec = buf.readUInt16BE(pos + 9) & 7;
  const baseOffset = readInt64(buf, pos + 11);
  const firstTimestamp = readInt64(buf, pos + 23);
  const count = buf.readInt32BE(pos + 53);
  let data = buf;
  let start = pos + BATCH_HEADER_BYTES;
  let end = pos + size;
  if (codec !== 0) {
    data = decompress(codec, buf.subarray(start, end));
    start = 0;
    end = data.length;
  }
  cursor.pos = start;
  for (let i = 0; i < count; i++) {
    const length = readZigzag(data, cursor, end);
    const recordEnd = cursor.pos + length;
    if (!(length > 0) || recordEnd > end)
      throw corrupt('record length out of range', { baseOffset, record: i });
    cursor.pos++; // attributes
    const timestampDelta = readZigzag(data, cursor, recordEnd);
    const offsetDelta = readZigzag(data, cursor, recordEnd);
    const keyLength = readZigzag(data, cursor, recordEnd);
    const keyStart = cursor.pos;
    if (keyLength > 0) cursor.pos += keyLength;
    const valueLength = readZigzag(data, cursor, recordEnd);
    const valueStart = cursor.pos;
    if (valueLength > 0) cursor.pos += valueLength;
    const headerCount = readZigzag(data, cursor, recordEnd);
    if (Number.isNaN(headerCount) || keyLength < -1 || valueLength < -1 || cursor.pos > recordEnd) {
      throw corrupt('record fields out of range', { baseOffset, record: i });
    }
    let headers: Headers | undefined;
    if (headerCount > 0) {
      headers = new Map();
      for (let h = 0; h < headerCount; h++) {
        const nameLength = readZigzag(data, cursor, recordEnd);
        if (!(nameLength >= 0) || cursor.pos + nameLength > recordEnd)
          throw corrupt('header name out of range', { baseOffset, record: i });
        const name = data.toString('utf8', cursor.pos, cursor.pos + nameLength);
        cursor.pos += nameLength;
        const valueLen = readZigzag(data, cursor, recordEnd);
        if (!(valueLen >= 0) || cursor.pos + valueLen > recordEnd)
          throw corrupt('header value out of range', { baseOffset, record: i });
        headers.set(name, data.subarray(cursor.pos, cursor.pos + valueLen));
        cursor.pos += valueLen;
      }
    }
    if (cursor.pos !== recordEnd) throw corrupt('record length mismatch', { baseOffset, record: i });
    const offset = baseOffset + offsetDelta;
    if (offset >= minOffset) {
      out.push(
        new LogRecord(
          offset,
          firstTimestamp + timestampDelta,
          data,
          keyStart,
          keyLength,
          valueStart,
          valueLength,
          headers,
        ),
      );
    }
  }
  if (cursor.pos !== end) throw corrupt('trailing bytes after the last record', { baseOffset });
}
