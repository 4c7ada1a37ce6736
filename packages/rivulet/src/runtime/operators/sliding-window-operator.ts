import type { StreamRecord } from '../stream-record.ts';
import { readTime } from '../time-bytes.ts';
import type { Accumulator } from './accumulator.ts';
import { WindowOperator, type WindowStateStore, windowStateKey } from './window-operator.ts';

/**
 * The records of one key at one rounded time: that time, their accumulator (or, when the aggregation
 * cannot merge, their values in arrival order), and how many of them still wait for their result
 * (`emit: 'final'`; always 0 under 'updates').
 */
type Pane = [time: number, acc: unknown, waiting: number];

/** A key's panes, ascending by time, at most one per rounded time. */
interface KeyPanes {
  k: unknown;
  p: Pane[];
}

const KEY_PREFIX = 0x4b; // 'K' + key JSON -> the key's panes
const DUE_PREFIX = 0x44; // 'D' + pane time + resolution (8 bytes) + key JSON -> 1: that pane has waiting records

const keyId = (key: unknown): Buffer => windowStateKey([KEY_PREFIX], [], key);
const dueId = (end: number, key: unknown): Buffer => windowStateKey([DUE_PREFIX], [end], key);

/** `t` rounded down to a multiple of `step` (towards -infinity, also for negative t). */
const floorTo = (t: number, step: number): number => t - (((t % step) + step) % step);

/** The index of the first pane whose time is >= `time` (panes.length when none). */
function firstAtOrAfter(panes: readonly Pane[], time: number): number {
  let lo = 0;
  let hi = panes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (panes[mid]![0] < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Sliding windows, per record, by panes. Event times are rounded down to a multiple of `resolution`
 * (t' = t - t mod resolution); the window of a record at t holds its key's records whose rounded time
 * is in `[t' - size, t']` (both ends included: with resolution 1 it is Kafka Streams' SlidingWindows
 * rule "records at most `size` apart") and is reported as `{ start: t' - size, end: t' + resolution }`.
 * Every record gets one result, the aggregate over its window. The window closes once the watermark
 * passes t' + resolution - 1 + allowedLateness; a record whose window is already closed is late.
 * `emit: 'final'` emits a record's result when its window closes, so records that arrived out of order
 * are in it; `'updates'` emits it at once, over the records seen so far (not revised later).
 *
 * State per key: one pane per distinct rounded time an open or future window can still contain, so at
 * most size / resolution + 1 panes plus those the allowed lateness and the out-of-orderness keep,
 * whatever the number of records per window; a record costs a binary search and one fold into its pane,
 * a result a merge of the panes in its window. An aggregation without merge (`aggregate` with no merge
 * function) keeps each pane's values instead, and a result folds them: state and cost grow with the
 * records per window again. Under 'final', a due index keyed by window end then key lists the panes with
 * waiting records, so closing is a range scan in end order (ties in key-byte order). Everything lives
 * in the store (changelogged), as plain arrays and numbers.
 */
export class SlidingWindowOperator extends WindowOperator {
  #evicted = Number.NEGATIVE_INFINITY;
  /** No due entry ends before this (undefined: not known); closing scans the due index only from it on. */
  #minDue: number | undefined;

  constructor(
    label: string,
    private readonly sizeMs: number,
    private readonly resolutionMs: number,
    /** False for `aggregate` without a merge function: panes then keep values, not accumulators. */
    private readonly mergeable: boolean,
    accumulator: Accumulator,
    emitMode: 'final' | 'updates',
    allowedLatenessMs: number,
    store: WindowStateStore,
  ) {
    super(label, accumulator, emitMode, allowedLatenessMs, store);
  }

  process(batch: StreamRecord[]): void {
    const out: StreamRecord[] = [];
    const late: StreamRecord[] = [];
    const final = this.emitMode === 'final';
    for (const record of batch) {
      const at = floorTo(record.timestamp, this.resolutionMs);
      const end = at + this.resolutionMs;
      if (this.closed(end)) {
        late.push(record);
        continue;
      }
      try {
        const id = keyId(record.key);
        const state = (this.store.get(id) as KeyPanes | undefined) ?? { k: record.key, p: [] };
        const panes = state.p;
        this.#trim(panes); // only drops panes no window reaches: the state stays valid if a step below throws
        const i = firstAtOrAfter(panes, at);
        const existing = panes[i] !== undefined && panes[i]![0] === at ? panes[i] : undefined;
        // What can throw comes before the pane changes (the store may hand out its live state), so a
        // rejected record leaves no trace. Without merge, an update folds the window's values in order,
        // this record's value last (its pane is the window's newest).
        const acc = this.mergeable
          ? this.accumulator.fold(existing?.[1], record.value, record.key)
          : undefined;
        const folded =
          final || this.mergeable
            ? undefined
            : this.accumulator.fold(this.#window(panes, at, record.key), record.value, record.key);
        // A due entry without waiting records is skipped when it comes due.
        if (final && (existing === undefined || existing[2] === 0)) {
          this.store.put(dueId(end, record.key), 1);
          if (this.#minDue !== undefined && end < this.#minDue) this.#minDue = end;
        }
        let pane = existing;
        if (pane === undefined) {
          pane = [at, this.mergeable ? acc : [], 0];
          panes.splice(i, 0, pane);
        } else if (this.mergeable) pane[1] = acc;
        if (!this.mergeable) (pane[1] as unknown[]).push(record.value);
        if (final) pane[2]++;
        this.store.put(id, state);
        if (!final) {
          const acc = this.mergeable ? this.#window(panes, at, record.key) : folded;
          out.push(this.result(record.key, at - this.sizeMs, end, acc, record));
        }
      } catch (error) {
        this.reject(error, record);
      }
    }
    if (out.length > 0) this.emit(out);
    this.sendLate(late);
  }

  /**
   * The aggregate of the panes in `[at - size, at]` (the window of records rounded to `at`), merged in
   * time order. The panes' accumulators are handed to `Accumulator.merge` as they are in the state: like
   * the hopping panes and sessions, this relies on it not changing its arguments.
   */
  #window(panes: readonly Pane[], at: number, key: unknown): unknown {
    let acc: unknown;
    let first = true;
    for (let i = firstAtOrAfter(panes, at - this.sizeMs); i < panes.length && panes[i]![0] <= at; i++) {
      const pane = panes[i]!;
      if (!this.mergeable) {
        for (const value of pane[1] as unknown[]) acc = this.accumulator.fold(acc, value, key);
      } else if (first) acc = pane[1];
      else acc = this.accumulator.merge(acc, pane[1], key);
      first = false;
    }
    return acc;
  }

  /**
   * The time below which no open or future window reaches: every window still to be emitted or yet to
   * come ends after the closing bound (watermark - lateness), so is of a rounded time >= the bound
   * rounded down, and starts `size` before that. Undefined before the first watermark.
   */
  #keepFrom(): number | undefined {
    const bound = this.watermark - this.allowedLatenessMs;
    return Number.isFinite(bound) ? floorTo(bound, this.resolutionMs) - this.sizeMs : undefined;
  }

  /** Drops, in place, the leading panes no window can contain any more (none with waiting records). */
  #trim(panes: Pane[]): boolean {
    const keep = this.#keepFrom();
    if (keep === undefined) return false;
    let n = 0;
    while (n < panes.length && panes[n]![0] < keep && panes[n]![2] === 0) n++;
    if (n > 0) panes.splice(0, n);
    return n > 0;
  }

  protected closeUpTo(bound: number): void {
    const out: StreamRecord[] = [];
    if (this.emitMode === 'final' && (this.#minDue === undefined || bound >= this.#minDue)) {
      const from = Buffer.from([DUE_PREFIX]);
      for (const entry of this.store.range(from, WindowOperator.endBound([DUE_PREFIX], bound))) {
        const bytes = Buffer.from(entry.key);
        const at = readTime(bytes, 1) - this.resolutionMs;
        const key = JSON.parse(bytes.toString('utf8', 9)) as unknown;
        this.store.delete(entry.key);
        const id = keyId(key);
        const state = this.store.get(id) as KeyPanes | undefined;
        if (state === undefined) continue;
        const pane = state.p[firstAtOrAfter(state.p, at)];
        if (pane === undefined || pane[0] !== at || pane[2] === 0) continue;
        const waiting = pane[2];
        pane[2] = 0;
        this.store.put(id, state);
        const result = this.#window(state.p, at, key);
        for (let i = 0; i < waiting; i++)
          out.push(this.result(state.k, at - this.sizeMs, at + this.resolutionMs, result, undefined));
      }
      const [first] = this.store.range(from, Buffer.from([DUE_PREFIX + 1]), { limit: 1 });
      this.#minDue = first === undefined ? Number.POSITIVE_INFINITY : readTime(first.key, 1);
    }
    this.#evict(bound);
    if (out.length > 0) this.emit(out);
  }

  /**
   * Trims every key's panes (#trim), deleting keys left with none. A scan over every key, so done only
   * when the bound moved by half a window (at least one resolution) since the last one: a key that gets
   * no records keeps at most about 1.5 windows of panes; a key that gets records is trimmed as they come.
   */
  #evict(bound: number): void {
    if (bound < this.#evicted + Math.max(this.sizeMs / 2, this.resolutionMs)) return;
    this.#evicted = bound;
    const from = Buffer.from([KEY_PREFIX]);
    const to = Buffer.from([KEY_PREFIX + 1]);
    for (const entry of this.store.range(from, to)) {
      const state = entry.value as KeyPanes;
      if (!this.#trim(state.p)) continue;
      if (state.p.length === 0) this.store.delete(entry.key);
      else this.store.put(entry.key, state);
    }
  }
}
