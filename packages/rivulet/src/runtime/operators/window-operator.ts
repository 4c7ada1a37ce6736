import { StreamRecord } from '../stream-record.ts';
import { writeTime } from '../time-bytes.ts';
import type { RangeStore } from '../timer-store.ts';
import type { Accumulator } from './accumulator.ts';
import { Operator } from './operator.ts';

/** A range store that can also read one entry: the window state of one task. */
export interface WindowStateStore extends RangeStore {
  get(key: Uint8Array): unknown;
}

/**
 * A window state key: `prefix` bytes, then each of `times` as 8 bytes big-endian (event times, >= 0, so
 * byte order is time order), then the JSON of the record key.
 */
export function windowStateKey(prefix: readonly number[], times: readonly number[], key: unknown): Buffer {
  const json = JSON.stringify(key) ?? 'null';
  const at = prefix.length + 8 * times.length;
  const id = Buffer.allocUnsafe(at + Buffer.byteLength(json));
  for (let i = 0; i < prefix.length; i++) id[i] = prefix[i]!;
  for (let i = 0; i < times.length; i++) writeTime(id, times[i]!, prefix.length + 8 * i);
  id.write(json, at);
  return id;
}

/** The result a windowed aggregation emits, keyed by the record key. */
export interface WindowedValue {
  key: unknown;
  window: { start: number; end: number };
  value: unknown;
  early?: true;
}

/**
 * What every event-time window operator shares: the watermark it has seen (kept in the checkpoint, so
 * lateness after a restart is judged as before it), closing windows when it moves (`closeUpTo`, with
 * every window whose end + allowed lateness is at or below it), the `late` operators (which get
 * unchanged copies of late records, counted in `lateRecords`) and the shape of results: `{ key,
 * window, value }` keyed by the record key, timestamped with the window's last millisecond.
 */
export abstract class WindowOperator extends Operator {
  readonly late: Operator[] = [];
  /** Records found late so far (whether or not anything reads the late output). */
  lateRecords = 0;
  protected watermark = Number.NEGATIVE_INFINITY;

  constructor(
    label: string,
    protected readonly accumulator: Accumulator,
    protected readonly emitMode: 'final' | 'updates',
    protected readonly allowedLatenessMs: number,
    protected readonly store: WindowStateStore,
  ) {
    super(label);
  }

  /** Deletes the state of windows ending at or before `bound`, emitting their results under 'final'. */
  protected abstract closeUpTo(bound: number): void;

  /** True when a window ending at `end` no longer takes records. */
  protected closed(end: number): boolean {
    return end + this.allowedLatenessMs <= this.watermark;
  }

  protected result(
    key: unknown,
    start: number,
    end: number,
    acc: unknown,
    origin: StreamRecord | undefined,
    early = false,
  ): StreamRecord {
    const value: WindowedValue = { key, window: { start, end }, value: this.accumulator.value(acc) };
    if (early) value.early = true;
    return new StreamRecord(key, value, end - 1, origin?.headers, origin?.offset, origin?.origin);
  }

  /** Early results (`earlyEvery`): state keys of the windows changed since the last ones. */
  protected readonly changed = new Set<string>();
  #earlyEveryMs: number | undefined;
  #lastEarly = Number.NEGATIVE_INFINITY;

  /** Turns on early results every `ms` of processing time. */
  earlyEvery(ms: number): this {
    this.#earlyEveryMs = ms;
    return this;
  }

  /** Notes a changed window for the next early results. */
  protected touched(stateKey: Buffer): void {
    if (this.#earlyEveryMs !== undefined) this.changed.add(stateKey.toString('latin1'));
  }

  /** The early results of the state under `stateKey` (none once its windows closed). */
  protected earlyResults(_stateKey: Buffer): StreamRecord[] {
    return [];
  }

  /**
   * Processing time `now` (the task calls it between batches): when an interval has passed, emits the
   * early results of the windows changed since the last ones.
   */
  tick(now: number): void {
    if (this.#earlyEveryMs === undefined || now < this.#lastEarly + this.#earlyEveryMs) return;
    this.#lastEarly = now;
    if (this.changed.size === 0) return;
    const out: StreamRecord[] = [];
    for (const id of [...this.changed].sort()) out.push(...this.earlyResults(Buffer.from(id, 'latin1')));
    this.changed.clear();
    if (out.length > 0) this.emit(out);
  }

  /** Sends late records on (each late operator gets its own copies) and counts them. */
  protected sendLate(late: StreamRecord[]): void {
    if (late.length === 0) return;
    this.lateRecords += late.length;
    const last = this.late.length - 1;
    for (let i = 0; i <= last; i++) this.late[i]!.receive(i === last ? late : late.map((r) => r.copy()));
  }

  /**
   * The first store key after every entry keyed `prefix` + 8-byte time <= `bound` (a range's exclusive
   * upper end; below 0 it is the first time-keyed entry).
   */
  protected static endBound(prefix: number[], bound: number): Buffer {
    const to = Buffer.alloc(prefix.length + 8);
    to.set(prefix, 0);
    writeTime(to, Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(bound) + 1)), prefix.length);
    return to;
  }

  override onWatermark(watermark: number, idle: boolean): void {
    if (watermark > this.watermark) {
      this.watermark = watermark;
      const bound = this.watermark - this.allowedLatenessMs;
      if (bound >= 0) this.closeUpTo(bound);
    }
    this.emitWatermark(this.watermark, idle);
    for (const operator of this.late) operator.onWatermark(this.watermark, idle, this);
  }

  override timeState(): unknown {
    return Number.isFinite(this.watermark) ? this.watermark : null;
  }

  override restoreTimeState(state: unknown): void {
    if (typeof state === 'number' && state > this.watermark) this.watermark = state;
  }
}
