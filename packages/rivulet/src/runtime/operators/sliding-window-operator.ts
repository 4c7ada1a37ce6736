import type { StreamRecord } from '../stream-record.ts';
import type { Accumulator } from './accumulator.ts';
import { WindowOperator, type WindowStateStore, windowStateKey } from './window-operator.ts';

/** A record of the key in state: its time, its value, and whether its own window has been emitted. */
type Entry = [ts: number, value: unknown, emitted: boolean];

interface KeyRecords {
  k: unknown;
  e: Entry[];
}

const KEY_PREFIX = 0x4b; // 'K' + key JSON -> the key's records
const DUE_PREFIX = 0x44; // 'D' + t + 1 (8 bytes) + key JSON -> how many records at t wait for their result

const keyId = (key: unknown): Buffer => windowStateKey([KEY_PREFIX], [], key);
const dueId = (ts: number, key: unknown): Buffer => windowStateKey([DUE_PREFIX], [ts], key);

/**
 * Sliding windows, per record: the window of a record at t is `[t - size, t]` (both ends included, the
 * Kafka Streams SlidingWindows rule "records at most `size` apart"), and every record gets one result,
 * the aggregate over its key's records in that window. The window ends after t (its last millisecond),
 * so it closes once the watermark passes t + allowedLateness; a record whose own window is already
 * closed is late. `emit: 'final'` emits a record's result when its window closes, so records that
 * arrived out of order are in it;
 * `'updates'` emits it at once, over the records seen so far (not revised later). State: per key the
 * records that a window still open can contain (older ones are dropped as the watermark moves), plus,
 * under 'final', an index of pending results by time; results cost a fold over the window's records.
 */
export class SlidingWindowOperator extends WindowOperator {
  #evicted = Number.NEGATIVE_INFINITY;

  constructor(
    label: string,
    private readonly sizeMs: number,
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
      const t = record.timestamp;
      // The window [t - size, t] ends after t: closed once the watermark passes t (+ lateness).
      if (this.closed(t + 1)) {
        late.push(record);
        continue;
      }
      try {
        const id = keyId(record.key);
        const state = (this.store.get(id) as KeyRecords | undefined) ?? { k: record.key, e: [] };
        const entries = [...state.e];
        let at = entries.length;
        while (at > 0 && entries[at - 1]![0] > t) at--;
        entries.splice(at, 0, [t, record.value, this.emitMode === 'updates']);
        if (this.emitMode === 'updates') {
          out.push(
            this.result(record.key, t - this.sizeMs, t + 1, this.#fold(entries, t, record.key), record),
          );
        } else {
          const due = dueId(t + 1, record.key);
          this.store.put(due, ((this.store.get(due) as number | undefined) ?? 0) + 1);
        }
        this.store.put(id, { k: record.key, e: entries });
      } catch (error) {
        this.reject(error, record);
      }
    }
    if (out.length > 0) this.emit(out);
    this.sendLate(late);
  }

  /** The aggregate over the entries in [t - size, t]. */
  #fold(entries: readonly Entry[], t: number, key: unknown): unknown {
    let acc: unknown;
    for (const [ts, value] of entries)
      if (ts >= t - this.sizeMs && ts <= t) acc = this.accumulator.fold(acc, value, key);
    return acc;
  }

  protected closeUpTo(bound: number): void {
    const out: StreamRecord[] = [];
    if (this.emitMode === 'final') {
      const from = Buffer.from([DUE_PREFIX]);
      for (const entry of this.store.range(from, WindowOperator.endBound([DUE_PREFIX], bound))) {
        const bytes = Buffer.from(entry.key);
        const t = Number(bytes.readBigUInt64BE(1)) - 1;
        const key = JSON.parse(bytes.toString('utf8', 9)) as unknown;
        this.store.delete(entry.key);
        const id = keyId(key);
        const state = this.store.get(id) as KeyRecords | undefined;
        if (state === undefined) continue;
        const result = this.#fold(state.e, t, key);
        for (let i = 0; i < (entry.value as number); i++)
          out.push(this.result(state.k, t - this.sizeMs, t + 1, result, undefined));
        this.store.put(id, {
          k: state.k,
          e: state.e.map((e): Entry => (e[0] === t ? [e[0], e[1], true] : e)),
        });
      }
    }
    this.#evict(bound);
    if (out.length > 0) this.emit(out);
  }

  /**
   * Drops entries no window still to come can contain: every window yet to be emitted ends after
   * `bound`, so starts after `bound - size`. A scan over every key, so done only when the bound moved
   * by half a window since the last one (entries stay at most 1.5 windows).
   */
  #evict(bound: number): void {
    if (bound < this.#evicted + this.sizeMs / 2) return;
    this.#evicted = bound;
    const keep = bound - this.sizeMs - 1; // windows to come end after bound: they start at bound - size or later
    const from = Buffer.from([KEY_PREFIX]);
    const to = Buffer.from([KEY_PREFIX + 1]);
    for (const entry of this.store.range(from, to)) {
      const state = entry.value as KeyRecords;
      const kept = state.e.filter((e) => e[0] > keep || !e[2]);
      if (kept.length === state.e.length) continue;
      if (kept.length === 0) this.store.delete(entry.key);
      else this.store.put(entry.key, { k: state.k, e: kept });
    }
  }
}
