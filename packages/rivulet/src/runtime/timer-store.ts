import { readTime, writeTime } from './time-bytes.ts';

/** A byte-keyed store that can list a key range in byte order (a state store with bytes keys). */
export interface RangeStore {
  put(key: Uint8Array, value: unknown): void;
  delete(key: Uint8Array): void;
  range(
    from?: Uint8Array,
    to?: Uint8Array,
    options?: { limit?: number },
  ): ReadonlyArray<{ readonly key: Uint8Array; readonly value: unknown }>;
}

/**
 * The pending timers of one processor in one task, in one time domain. Each timer is an entry keyed by
 * the domain's prefix (none for processing time, 0xFF for event time, so the two never mix in a range
 * scan: a processing-time key starts with the high byte of a time, always 0 here), 8-byte big-endian
 * time, then the JSON of the record key, so a range scan lists due timers in time order; the value is
 * the key itself. Durable and restored like any store (it has a changelog).
 */
export class TimerStore {
  readonly #prefix: Buffer;

  constructor(
    private readonly store: RangeStore,
    domain: 'processing' | 'event' = 'processing',
  ) {
    this.#prefix = domain === 'processing' ? Buffer.alloc(0) : Buffer.from([0xff]);
  }

  #id(at: number, key: unknown): Buffer {
    const json = Buffer.from(JSON.stringify(key) ?? 'null');
    const p = this.#prefix.length;
    const id = Buffer.allocUnsafe(p + 8 + json.length);
    this.#prefix.copy(id, 0);
    writeTime(id, Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(at))), p);
    json.copy(id, p + 8);
    return id;
  }

  set(at: number, key: unknown): void {
    this.store.put(this.#id(at, key), key);
  }

  cancel(at: number, key: unknown): void {
    this.store.delete(this.#id(at, key));
  }

  /** Removes and returns the timers due at `now` or before, oldest first. */
  takeDue(now: number): Array<{ at: number; key: unknown }> {
    if (!(now >= 0)) return [];
    const p = this.#prefix.length;
    const end = Buffer.alloc(p + 8);
    this.#prefix.copy(end, 0);
    writeTime(end, Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(now) + 1)), p);
    const due = this.store
      .range(p === 0 ? undefined : this.#prefix, end)
      .map((e) => ({ id: e.key, at: readTime(e.key, p), key: e.value }));
    for (const timer of due) this.store.delete(timer.id);
    return due.map(({ at, key }) => ({ at, key }));
  }
}
