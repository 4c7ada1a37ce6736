/** A byte-keyed store that can list a key range in byte order (a state store with bytes keys). */
export interface RangeStore {
  put(key: Uint8Array, value: unknown): void;
  delete(key: Uint8Array): void;
  range(
    from?: Uint8Array,
    to?: Uint8Array,
  ): ReadonlyArray<{ readonly key: Uint8Array; readonly value: unknown }>;
}

/**
 * The pending processing-time timers of one processor in one task. Each timer is an entry keyed by
 * 8-byte big-endian time then the JSON of the record key, so a range scan lists due timers in time order;
 * the value is the key itself. Durable and restored like any store (it has a changelog).
 */
export class TimerStore {
  constructor(private readonly store: RangeStore) {}

  static id(at: number, key: unknown): Buffer {
    const json = Buffer.from(JSON.stringify(key) ?? 'null');
    const id = Buffer.allocUnsafe(8 + json.length);
    id.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(at))), 0);
    json.copy(id, 8);
    return id;
  }

  set(at: number, key: unknown): void {
    this.store.put(TimerStore.id(at, key), key);
  }

  cancel(at: number, key: unknown): void {
    this.store.delete(TimerStore.id(at, key));
  }

  /** Removes and returns the timers due at `now` or before, oldest first. */
  takeDue(now: number): Array<{ at: number; key: unknown }> {
    const end = Buffer.alloc(8);
    end.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now) + 1)), 0);
    const due = this.store
      .range(undefined, end)
      .map((e) => ({ id: e.key, at: Number(Buffer.from(e.key).readBigUInt64BE(0)), key: e.value }));
    for (const timer of due) this.store.delete(timer.id);
    return due.map(({ at, key }) => ({ at, key }));
  }
}
