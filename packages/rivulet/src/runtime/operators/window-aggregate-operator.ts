import type { WindowSpec } from '../../plan/index.ts';
import { StreamRecord } from '../stream-record.ts';
import type { RangeStore } from '../timer-store.ts';
import { Operator } from './operator.ts';
import type { WindowAccumulator } from './window-accumulator.ts';

/** A range store that can also read one entry: the window state of one task. */
export interface WindowStateStore extends RangeStore {
  get(key: Uint8Array): unknown;
}

/** What one (key, window) holds: the record key and the accumulator. */
interface WindowState {
  k: unknown;
  a: unknown;
}

/** The result a windowed aggregation emits, keyed by the record key. */
export interface WindowedValue {
  key: unknown;
  window: { start: number; end: number };
  value: unknown;
}

/**
 * Keyed event-time windows over one task's partition. Each record is folded into the state of its key in
 * every window that contains its timestamp and is still open; a window `[start, end)` closes once the
 * watermark reaches `end + allowedLatenessMs`. A record none of whose windows is open any more goes,
 * unchanged, to the `late` operators (never dropped silently). State entries are keyed by the window's
 * end (8 bytes big-endian) then the JSON of the key, so closing is a range scan in end order; they hold
 * the key and the accumulator and are deleted when the window closes. `emit: 'updates'` emits the new
 * result after every change; `'final'` emits each window's result once, when it closes, in end order.
 * Results carry the window's last millisecond (`end - 1`) as their timestamp. The last watermark is kept
 * in the checkpoint, so lateness after a restart is judged as before it.
 */
export class WindowAggregateOperator extends Operator {
  readonly late: Operator[] = [];
  /** Records found late so far (whether or not anything reads the late output). */
  lateRecords = 0;
  #watermark = Number.NEGATIVE_INFINITY;

  constructor(
    label: string,
    private readonly window: Extract<WindowSpec, { kind: 'tumbling' | 'hopping' }>,
    private readonly accumulator: WindowAccumulator,
    private readonly emitMode: 'final' | 'updates',
    private readonly allowedLatenessMs: number,
    private readonly store: WindowStateStore,
  ) {
    super(label);
  }

  /** Starts of the windows containing `ts`, oldest first. */
  #starts(ts: number): number[] {
    const w = this.window;
    const advance = w.kind === 'tumbling' ? w.sizeMs : w.advanceMs;
    const last = ts - (ts % advance);
    const starts: number[] = [];
    for (let start = last - Math.floor((w.sizeMs - 1) / advance) * advance; start <= last; start += advance)
      if (start + w.sizeMs > ts) starts.push(start);
    return starts;
  }

  #closed(end: number): boolean {
    return end + this.allowedLatenessMs <= this.#watermark;
  }

  static stateKey(end: number, key: unknown): Buffer {
    const json = Buffer.from(JSON.stringify(key) ?? 'null');
    const id = Buffer.allocUnsafe(8 + json.length);
    id.writeBigUInt64BE(BigInt(end), 0);
    json.copy(id, 8);
    return id;
  }

  process(batch: StreamRecord[]): void {
    const out: StreamRecord[] = [];
    const late: StreamRecord[] = [];
    const size = this.window.sizeMs;
    for (const record of batch) {
      let open = 0;
      try {
        for (const start of this.#starts(record.timestamp)) {
          const end = start + size;
          if (this.#closed(end)) continue;
          open++;
          const id = WindowAggregateOperator.stateKey(end, record.key);
          const previous = this.store.get(id) as WindowState | undefined;
          const acc = this.accumulator.fold(previous?.a, record.value, record.key);
          this.store.put(id, { k: record.key, a: acc });
          if (this.emitMode === 'updates') out.push(this.#result(record, record.key, start, end, acc));
        }
      } catch (error) {
        this.reject(error, record);
        continue;
      }
      if (open === 0) late.push(record);
    }
    if (out.length > 0) this.emit(out);
    if (late.length > 0) {
      this.lateRecords += late.length;
      const last = this.late.length - 1;
      for (let i = 0; i <= last; i++) this.late[i]!.process(i === last ? late : late.map((r) => r.copy()));
    }
  }

  #result(origin: StreamRecord, key: unknown, start: number, end: number, acc: unknown): StreamRecord {
    const value: WindowedValue = { key, window: { start, end }, value: this.accumulator.value(acc) };
    return new StreamRecord(key, value, end - 1, origin.headers, origin.offset, origin.origin);
  }

  override onWatermark(watermark: number, idle: boolean): void {
    if (watermark > this.#watermark) {
      this.#watermark = watermark;
      this.#closeWindows();
    }
    this.emitWatermark(this.#watermark, idle);
    for (const operator of this.late) operator.onWatermark(this.#watermark, idle, this);
  }

  /** Deletes every window the watermark closed, emitting its result under `emit: 'final'`. */
  #closeWindows(): void {
    const bound = this.#watermark - this.allowedLatenessMs; // windows with end <= bound are closed
    if (!(bound >= 0)) return;
    const to = Buffer.alloc(8);
    to.writeBigUInt64BE(BigInt(Math.min(Number.MAX_SAFE_INTEGER, Math.floor(bound) + 1)), 0);
    const closed = this.store.range(undefined, to);
    const out: StreamRecord[] = [];
    for (const entry of closed) {
      const end = Number(Buffer.from(entry.key).readBigUInt64BE(0));
      const state = entry.value as WindowState;
      this.store.delete(entry.key);
      if (this.emitMode === 'final') {
        const start = end - this.window.sizeMs;
        const value: WindowedValue = {
          key: state.k,
          window: { start, end },
          value: this.accumulator.value(state.a),
        };
        out.push(new StreamRecord(state.k, value, end - 1, undefined));
      }
    }
    if (out.length > 0) this.emit(out);
  }

  override timeState(): unknown {
    return Number.isFinite(this.#watermark) ? this.#watermark : null;
  }

  override restoreTimeState(state: unknown): void {
    if (typeof state === 'number' && state > this.#watermark) this.#watermark = state;
  }
}
