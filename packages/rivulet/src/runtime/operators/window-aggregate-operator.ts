import type { WindowSpec } from '../../plan/index.ts';
import type { StreamRecord } from '../stream-record.ts';
import { readTime } from '../time-bytes.ts';
import type { Accumulator } from './accumulator.ts';
import { WindowOperator, type WindowStateStore, windowStateKey } from './window-operator.ts';

/** What one (key, window) holds: the record key and the accumulator. */
interface WindowState {
  k: unknown;
  a: unknown;
}

/**
 * Tumbling and hopping event-time windows over one task's partition. Each record is folded into the
 * state of its key in every window that contains its timestamp and is still open; a record none of
 * whose windows is open any more is late. State entries are keyed by the window's end (8 bytes
 * big-endian) then the JSON of the key, so closing is a range scan in end order; they hold the key and
 * the accumulator and are deleted when the window closes. `emit: 'updates'` emits the new result after
 * every change; `'final'` emits each window's result once, when it closes, in end order.
 */
export class WindowAggregateOperator extends WindowOperator {
  /**
   * No window in state ends before this (undefined: not known, as after a start or restore). Closing
   * skips the range scan while the bound is below it, so a scan runs only when some window closes.
   */
  #minEnd: number | undefined;

  constructor(
    label: string,
    private readonly window: Extract<WindowSpec, { kind: 'tumbling' | 'hopping' }>,
    accumulator: Accumulator,
    emitMode: 'final' | 'updates',
    allowedLatenessMs: number,
    store: WindowStateStore,
  ) {
    super(label, accumulator, emitMode, allowedLatenessMs, store);
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

  process(batch: StreamRecord[]): void {
    const out: StreamRecord[] = [];
    const late: StreamRecord[] = [];
    const size = this.window.sizeMs;
    for (const record of batch) {
      let open = 0;
      try {
        for (const start of this.#starts(record.timestamp)) {
          const end = start + size;
          if (this.closed(end)) continue;
          open++;
          const id = windowStateKey([], [end], record.key);
          const previous = this.store.get(id) as WindowState | undefined;
          const acc = this.accumulator.fold(previous?.a, record.value, record.key);
          this.store.put(id, { k: record.key, a: acc });
          if (this.#minEnd !== undefined && end < this.#minEnd) this.#minEnd = end;
          this.touched(id);
          if (this.emitMode === 'updates') out.push(this.result(record.key, start, end, acc, record));
        }
      } catch (error) {
        this.reject(error, record);
        continue;
      }
      if (open === 0) late.push(record);
    }
    if (out.length > 0) this.emit(out);
    this.sendLate(late);
  }

  protected override earlyResults(stateKey: Buffer): StreamRecord[] {
    const state = this.store.get(stateKey) as WindowState | undefined;
    if (state === undefined) return [];
    const end = readTime(stateKey, 0);
    return [this.result(state.k, end - this.window.sizeMs, end, state.a, undefined, true)];
  }

  protected closeUpTo(bound: number): void {
    if (this.#minEnd !== undefined && bound < this.#minEnd) return;
    const out: StreamRecord[] = [];
    for (const entry of this.store.range(undefined, WindowOperator.endBound([], bound))) {
      const end = readTime(entry.key, 0);
      const state = entry.value as WindowState;
      this.store.delete(entry.key);
      if (this.emitMode === 'final')
        out.push(this.result(state.k, end - this.window.sizeMs, end, state.a, undefined));
    }
    const [first] = this.store.range(undefined, undefined, { limit: 1 });
    this.#minEnd = first === undefined ? Number.POSITIVE_INFINITY : readTime(first.key, 0);
    if (out.length > 0) this.emit(out);
  }
}
