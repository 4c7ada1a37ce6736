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

/**
 * The watermark of a repartition input: the min over the writing tasks' latest watermarks, ignoring idle
 * ones; no watermark (-Infinity) until every writing task has reported. Kept in the checkpoint.
 */
export class CombinedWatermark {
  readonly #sources: number;
  #latest = new Map<number, { watermark: number; idle: boolean }>();
  #current = Number.NEGATIVE_INFINITY;
  #idle = false;

  constructor(sources: number) {
    this.#sources = sources;
  }

  get current(): number {
    return this.#current;
  }

  get idle(): boolean {
    return this.#idle;
  }

  /** Takes one task's watermark; returns true when the combination moved (or its idleness changed). */
  update(source: number, watermark: number, idle: boolean): boolean {
    const previous = this.#latest.get(source);
    this.#latest.set(source, {
      watermark: Math.max(previous?.watermark ?? Number.NEGATIVE_INFINITY, watermark),
      idle,
    });
    if (this.#latest.size < this.#sources) return false;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let allIdle = true;
    for (const entry of this.#latest.values()) {
      max = Math.max(max, entry.watermark);
      if (!entry.idle) {
        allIdle = false;
        min = Math.min(min, entry.watermark);
      }
    }
    const next = allIdle ? max : min;
    const moved = next > this.#current || allIdle !== this.#idle;
    this.#current = Math.max(this.#current, next);
    this.#idle = allIdle;
    return moved;
  }

  state(): Array<[number, number, boolean]> {
    return [...this.#latest].map(([s, e]) => [s, e.watermark, e.idle]);
  }

  restore(state: unknown): void {
    if (!Array.isArray(state)) return;
    this.#latest = new Map();
    // JSON has no -Infinity: a task that reported idle before any record was stored as null.
    for (const [s, w, idle] of state as Array<[number, number | null, boolean]>)
      this.update(s, typeof w === 'number' ? w : Number.NEGATIVE_INFINITY, idle);
  }
}
