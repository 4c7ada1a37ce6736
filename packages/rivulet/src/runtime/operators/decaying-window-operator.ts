import type { StreamRecord } from '../stream-record.ts';
import type { Accumulator } from './accumulator.ts';
import { WindowOperator, type WindowStateStore, windowStateKey } from './window-operator.ts';

/** A key's score as of `at` (its latest event time), and its first event time. */
interface DecayState {
  k: unknown;
  score: number;
  at: number;
  first: number;
}

/**
 * Decaying windows: per key one score, the sum of every record's weight (1 for count, `fn(value)` for
 * sum) times 2^(-(at - t) / halfLife), where `at` is the latest event time of the key. A record at or
 * after `at` first decays the score to its time; an older one (out of order) adds its weight decayed to
 * `at`. Every record emits the key's new score, with window `{ start: first event time, end: at }` and
 * timestamp `at`. Nothing closes and nothing is late; the watermark only passes through. State: one
 * entry per key.
 */
export class DecayingWindowOperator extends WindowOperator {
  constructor(
    label: string,
    private readonly halfLifeMs: number,
    private readonly op: 'count' | 'sum',
    private readonly weight: ((value: unknown) => unknown) | undefined,
    accumulator: Accumulator,
    allowedLatenessMs: number,
    store: WindowStateStore,
  ) {
    super(label, accumulator, 'updates', allowedLatenessMs, store);
  }

  process(batch: StreamRecord[]): void {
    const out: StreamRecord[] = [];
    for (const record of batch) {
      try {
        const w = this.op === 'count' ? 1 : this.weight!(record.value);
        if (typeof w !== 'number' || Number.isNaN(w))
          throw new TypeError(`the sum extractor returned ${String(w)}, not a number`);
        const id = windowStateKey([], [], record.key);
        const t = record.timestamp;
        const previous = this.store.get(id) as DecayState | undefined;
        let state: DecayState;
        if (previous === undefined) state = { k: record.key, score: w, at: t, first: t };
        else if (t >= previous.at)
          state = {
            k: record.key,
            score: previous.score * 2 ** (-(t - previous.at) / this.halfLifeMs) + w,
            at: t,
            first: Math.min(previous.first, t),
          };
        else
          state = {
            k: record.key,
            score: previous.score + w * 2 ** (-(previous.at - t) / this.halfLifeMs),
            at: previous.at,
            first: Math.min(previous.first, t),
          };
        this.store.put(id, state);
        out.push(this.result(record.key, state.first, state.at + 1, state.score, record));
      } catch (error) {
        this.reject(error, record);
      }
    }
    if (out.length > 0) this.emit(out);
  }

  protected closeUpTo(): void {
    // Decaying windows never close.
  }
}
