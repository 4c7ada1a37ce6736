import type { EncodableRecord } from '../log/index.ts';
import type { Headers } from '../model/index.ts';

/**
 * Watermarks cross repartition topics as control records among the data: no key, the watermark as an
 * 8-byte double in the value, and a `rivulet.watermark` header naming the writing task's partition
 * (plus `rivulet.idle` when that task's input is idle). Readers skip them as data and combine the
 * latest watermark of every writing task by min.
 */
export const WATERMARK_HEADER = 'rivulet.watermark';
const IDLE_HEADER = 'rivulet.idle';

export function watermarkRecord(watermark: number, idle: boolean, source: number): EncodableRecord {
  const value = Buffer.allocUnsafe(8);
  value.writeDoubleBE(watermark, 0);
  const headers: Headers = new Map([[WATERMARK_HEADER, Buffer.from(String(source))]]);
  if (idle) headers.set(IDLE_HEADER, Buffer.from('1'));
  const timestamp = Number.isFinite(watermark)
    ? Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(watermark)))
    : 0;
  return { key: null, value, headers, timestamp };
}

/** The watermark a control record carries, or undefined for a data record. */
export function readWatermark(
  headers: Headers | undefined,
  value: Uint8Array | null,
): { source: number; watermark: number; idle: boolean } | undefined {
  const source = headers?.get(WATERMARK_HEADER);
  if (source === undefined || value === null || value.length !== 8) return undefined;
  return {
    source: Number(Buffer.from(source).toString()),
    watermark: Buffer.from(value.buffer, value.byteOffset, 8).readDoubleBE(0),
    idle: headers!.has(IDLE_HEADER),
  };
}
