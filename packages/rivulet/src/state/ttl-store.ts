import { type Clock, EngineError } from '../model/index.ts';
import { keySuccessor } from './byte-order.ts';
import type { BytesStore, FlushResult } from './bytes-store.ts';
import type { BackendRangeOptions, KeyValueEntry } from './key-value-backend.ts';
import type { RestoreOptions, RestoreResult } from './restore-result.ts';

/** Bytes of write time in front of every stored value (float64 big-endian, ms since the epoch). */
export const TTL_PREFIX_BYTES = 8;

/**
 * Time to live. Stores each value as [write time (8 bytes)][value], so the time travels through the
 * cache, the changelog and the backend, and a restored store expires entries exactly when the live one
 * would. An entry written at `t` is absent for every read once `clock.now() >= t + ttlMs`.
 *
 * `flush` first purges: it scans up to `purgeLimit` entries from where the previous flush stopped
 * (wrapping to the first key), deletes the expired ones (tombstones in the same flush), then flushes. So
 * the backend and the changelog shed expired entries over successive flushes, with bounded work each.
 * Changing `ttl` for an existing store changes its value format: give it a new changelog.
 */
export class TtlStore implements BytesStore {
  readonly name: string;
  readonly ttlMs: number;
  readonly #inner: BytesStore;
  readonly #clock: Clock;
  readonly #purgeLimit: number;
  /** Where the next purge scan starts; undefined = the first key. */
  #cursor: Uint8Array | undefined;

  constructor(inner: BytesStore, ttlMs: number, clock: Clock, purgeLimit = 1000) {
    this.name = inner.name;
    this.#inner = inner;
    this.ttlMs = ttlMs;
    this.#clock = clock;
    this.#purgeLimit = purgeLimit;
  }

  get position(): number | undefined {
    return this.#inner.position;
  }

  #writeTime(stored: Uint8Array): number {
    if (stored.length < TTL_PREFIX_BYTES) {
      throw new EngineError(
        'INVALID_RECORD',
        `store ${this.name}: a stored value of ${stored.length} bytes has no TTL write time (was the store created without ttl?)`,
        { details: { store: this.name } },
      );
    }
    return Buffer.from(stored.buffer, stored.byteOffset, TTL_PREFIX_BYTES).readDoubleBE(0);
  }

  #expired(stored: Uint8Array, now: number): boolean {
    return now >= this.#writeTime(stored) + this.ttlMs;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const stored = this.#inner.get(key);
    if (stored === undefined || this.#expired(stored, this.#clock.now())) return undefined;
    return stored.subarray(TTL_PREFIX_BYTES);
  }

  range(from?: Uint8Array, to?: Uint8Array, options: BackendRangeOptions = {}): KeyValueEntry[] {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const reverse = options.reverse === true;
    const now = this.#clock.now();
    const out: KeyValueEntry[] = [];
    let low = from;
    let high = to;
    // Expired entries are skipped, so a page may yield fewer than asked: continue after its last key.
    while (out.length < limit) {
      const want = limit - out.length;
      const page = this.#inner.range(low, high, { limit: want, reverse });
      for (const entry of page) {
        if (!this.#expired(entry.value, now)) {
          out.push({ key: entry.key, value: entry.value.subarray(TTL_PREFIX_BYTES) });
        }
      }
      if (page.length < want || page.length === 0) break;
      const last = page[page.length - 1]!.key;
      if (reverse) high = last;
      else low = keySuccessor(last);
    }
    return out;
  }

  approximateCount(): number {
    return this.#inner.approximateCount();
  }

  put(key: Uint8Array, value: Uint8Array): void {
    const stored = Buffer.allocUnsafe(TTL_PREFIX_BYTES + value.length);
    stored.writeDoubleBE(this.#clock.now(), 0);
    stored.set(value, TTL_PREFIX_BYTES);
    this.#inner.put(key, stored);
  }

  delete(key: Uint8Array): void {
    this.#inner.delete(key);
  }

  /** Deletes the expired entries among the next `purgeLimit` (cache and backend), then flushes. */
  async flush(): Promise<FlushResult> {
    const now = this.#clock.now();
    const page = this.#inner.range(this.#cursor, undefined, { limit: this.#purgeLimit });
    let expired = 0;
    for (const entry of page) {
      if (this.#expired(entry.value, now)) {
        this.#inner.delete(entry.key);
        expired++;
      }
    }
    this.#cursor = page.length < this.#purgeLimit ? undefined : keySuccessor(page[page.length - 1]!.key);
    const result = await this.#inner.flush();
    return { ...result, expired };
  }

  restore(options: RestoreOptions): Promise<RestoreResult> {
    this.#cursor = undefined;
    return this.#inner.restore(options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
