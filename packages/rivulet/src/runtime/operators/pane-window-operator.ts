import type { WindowSpec } from '../../plan/index.ts';
import type { StreamRecord } from '../stream-record.ts';
import { readTime } from '../time-bytes.ts';
import type { Accumulator } from './accumulator.ts';
import { WindowOperator, type WindowStateStore, windowStateKey } from './window-operator.ts';

interface PaneState {
  k: unknown;
  a: unknown;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

const paneKey = (end: number, key: unknown): Buffer => windowStateKey([], [end], key);

/**
 * Hopping windows with final results, by panes: time is cut into panes of gcd(size, advance), each
 * record is folded into the state of its key in its one pane (instead of into size / advance windows),
 * and when the watermark closes a window its result is the merge of its panes, key by key, in pane
 * order. Same results as one state per window (a record counts in the windows still open when it
 * arrives; late when all of its windows are closed), one state update per record. Panes no later window
 * needs are deleted as windows close. Windows close in end order; a stretch without panes is skipped.
 */
export class PaneWindowOperator extends WindowOperator {
  readonly #size: number;
  readonly #advance: number;
  readonly #pane: number;
  /** Windows ending at or before this have been closed. */
  #closedBound = Number.NEGATIVE_INFINITY;

  constructor(
    label: string,
    window: Extract<WindowSpec, { kind: 'hopping' }>,
    accumulator: Accumulator,
    allowedLatenessMs: number,
    store: WindowStateStore,
  ) {
    super(label, accumulator, 'final', allowedLatenessMs, store);
    this.#size = window.sizeMs;
    this.#advance = window.advanceMs;
    this.#pane = gcd(window.sizeMs, window.advanceMs);
  }

  /** The smallest window end (start a multiple of advance) at or after `t`. */
  #windowEndAtOrAfter(t: number): number {
    const start = Math.ceil((t - this.#size) / this.#advance) * this.#advance;
    return start + this.#size;
  }

  process(batch: StreamRecord[]): void {
    const late: StreamRecord[] = [];
    for (const record of batch) {
      const t = record.timestamp;
      const lastEnd = t - (t % this.#advance) + this.#size; // the latest window containing t
      if (this.closed(lastEnd)) {
        late.push(record);
        continue;
      }
      try {
        const id = paneKey(t - (t % this.#pane) + this.#pane, record.key);
        const previous = this.store.get(id) as PaneState | undefined;
        this.store.put(id, {
          k: record.key,
          a: this.accumulator.fold(previous?.a, record.value, record.key),
        });
      } catch (error) {
        this.reject(error, record);
      }
    }
    this.sendLate(late);
  }

  protected closeUpTo(bound: number): void {
    const out: StreamRecord[] = [];
    let end = this.#windowEndAtOrAfter(Number.isFinite(this.#closedBound) ? this.#closedBound + 1 : 0);
    while (end <= bound) {
      const start = end - this.#size;
      const panes = this.store.range(WindowOperator.endBound([], start), WindowOperator.endBound([], end));
      if (panes.length === 0) {
        // Skip to the first window holding the next pane, if any.
        const [next] = this.store.range(WindowOperator.endBound([], start), undefined, { limit: 1 });
        if (next === undefined) break;
        const paneEnd = readTime(next.key, 0);
        end = Math.max(end + this.#advance, this.#windowEndAtOrAfter(paneEnd));
        continue;
      }
      const perKey = new Map<string, PaneState>();
      for (const entry of panes) {
        const state = entry.value as PaneState;
        const id = Buffer.from(entry.key).toString('latin1', 8);
        const sum = perKey.get(id);
        perKey.set(
          id,
          sum === undefined
            ? { k: state.k, a: state.a }
            : { k: state.k, a: this.accumulator.merge(sum.a, state.a, state.k) },
        );
      }
      for (const id of [...perKey.keys()].sort()) {
        const state = perKey.get(id)!;
        out.push(this.result(state.k, start, end, state.a, undefined));
      }
      // No later window reaches back to panes ending at or before the next window's start.
      for (const entry of this.store.range(undefined, WindowOperator.endBound([], start + this.#advance)))
        this.store.delete(entry.key);
      end += this.#advance;
    }
    this.#closedBound = Math.max(this.#closedBound, bound);
    if (out.length > 0) this.emit(out);
  }

  override restoreTimeState(state: unknown): void {
    super.restoreTimeState(state);
    if (Number.isFinite(this.watermark)) this.#closedBound = this.watermark - this.allowedLatenessMs;
  }
}
