import type { StreamRecord } from '../stream-record.ts';
import { readTime } from '../time-bytes.ts';
import type { Accumulator } from './accumulator.ts';
import { WindowOperator, type WindowStateStore, windowStateKey } from './window-operator.ts';

/** An open session of one key: [start, end) and its accumulator. */
type Session = [start: number, end: number, acc: unknown];

interface KeySessions {
  k: unknown;
  s: Session[];
}

const KEY_PREFIX = 0x4b; // 'K' + key JSON -> the key's open sessions
const END_PREFIX = 0x45; // 'E' + end (8 bytes) + start (8 bytes) + key JSON -> 1, to close by end

const keyId = (key: unknown): Buffer => windowStateKey([KEY_PREFIX], [], key);
const endId = (end: number, start: number, key: unknown): Buffer =>
  windowStateKey([END_PREFIX], [end, start], key);

/**
 * Session windows per key: a record at t opens `[t, t + gap)`, which merges with every open session of
 * its key it overlaps (their accumulators merged in start order, then the record folded in), so a
 * session is a run of records less than `gap` apart, `[first, last + gap)`. A session closes when the
 * watermark reaches `end + allowedLatenessMs`; a record whose merged session would already be closed is
 * late (to the `late` operators). State: per key its open sessions, plus one index entry per session
 * keyed by its end, so closing is a range scan in end order. `emit` as for other windows; under
 * 'updates' a merge shows as a result for the merged session (the merged-away ones are not retracted).
 */
export class SessionWindowOperator extends WindowOperator {
  /**
   * No session in state ends before this (a lower bound: sessions that grew keep it low until the next
   * scan; undefined: not known, as after a start or restore). Closing scans only when the bound reaches it.
   */
  #minEnd: number | undefined;

  constructor(
    label: string,
    private readonly gapMs: number,
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
    for (const record of batch) {
      try {
        const result = this.#add(record);
        if (result === undefined) late.push(record);
        else if (this.emitMode === 'updates') out.push(result);
      } catch (error) {
        this.reject(error, record);
      }
    }
    if (out.length > 0) this.emit(out);
    this.sendLate(late);
  }

  /** Folds the record into its session; returns the session's result, or undefined when it is late. */
  #add(record: StreamRecord): StreamRecord | undefined {
    const t = record.timestamp;
    const key = record.key;
    const id = keyId(key);
    const state = (this.store.get(id) as KeySessions | undefined) ?? { k: key, s: [] };
    let start = t;
    let end = t + this.gapMs;
    const keep: Session[] = [];
    const merged: Session[] = [];
    for (const session of state.s) {
      if (session[0] < t + this.gapMs && t < session[1]) {
        merged.push(session);
        start = Math.min(start, session[0]);
        end = Math.max(end, session[1]);
      } else keep.push(session);
    }
    if (this.closed(end)) return undefined;
    let acc: unknown;
    for (const session of merged)
      acc = acc === undefined ? session[2] : this.accumulator.merge(acc, session[2], key);
    acc = this.accumulator.fold(acc, record.value, key);
    for (const session of merged) this.store.delete(endId(session[1], session[0], key));
    keep.push([start, end, acc]);
    keep.sort((a, b) => a[0] - b[0]);
    this.store.put(id, { k: key, s: keep });
    this.touched(id);
    this.store.put(endId(end, start, key), 1);
    if (this.#minEnd !== undefined && end < this.#minEnd) this.#minEnd = end;
    return this.result(key, start, end, acc, record);
  }

  protected override earlyResults(stateKey: Buffer): StreamRecord[] {
    const state = this.store.get(stateKey) as KeySessions | undefined;
    return (state?.s ?? []).map(([start, end, acc]) =>
      this.result(state!.k, start, end, acc, undefined, true),
    );
  }

  protected closeUpTo(bound: number): void {
    if (this.#minEnd !== undefined && bound < this.#minEnd) return;
    const from = Buffer.from([END_PREFIX]);
    const out: StreamRecord[] = [];
    for (const entry of this.store.range(from, WindowOperator.endBound([END_PREFIX], bound))) {
      const bytes = Buffer.from(entry.key);
      const end = readTime(bytes, 1);
      const start = readTime(bytes, 9);
      const key = JSON.parse(bytes.toString('utf8', 17)) as unknown;
      this.store.delete(entry.key);
      const id = keyId(key);
      const state = this.store.get(id) as KeySessions | undefined;
      const session = state?.s.find((s) => s[0] === start && s[1] === end);
      if (state === undefined || session === undefined) continue;
      const rest = state.s.filter((s) => s !== session);
      if (rest.length === 0) this.store.delete(id);
      else this.store.put(id, { k: state.k, s: rest });
      if (this.emitMode === 'final') out.push(this.result(state.k, start, end, session[2], undefined));
    }
    const [first] = this.store.range(from, Buffer.from([END_PREFIX + 1]), { limit: 1 });
    this.#minEnd = first === undefined ? Number.POSITIVE_INFINITY : readTime(first.key, 1);
    if (out.length > 0) this.emit(out);
  }
}
