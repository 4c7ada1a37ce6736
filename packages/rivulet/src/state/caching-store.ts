import { EngineError } from '../model/index.ts';
import { keyString } from './byte-order.ts';
import type { BytesStore, FlushResult } from './bytes-store.ts';
import type { ChangeloggedBackend } from './changelogged-backend.ts';
import type { BackendRangeOptions, KeyValueEntry } from './key-value-backend.ts';
import type { RestoreOptions, RestoreResult } from './restore-result.ts';
import { SortedKeys } from './sorted-keys.ts';

/** Record framing the log adds around key and value, bounded from above (record-batch.ts + its +20). */
const RECORD_OVERHEAD_BYTES = 40;

/** An unflushed change; a new object per write, so a flush can tell whether it was overwritten. */
class DirtyEntry {
  /** Set once a flush made this change durable or a restore discarded it: a queued flush skips it. */
  settled = false;
  constructor(
    readonly key: Uint8Array,
    readonly value: Uint8Array | null,
  ) {}
}

/**
 * The write cache: `put`/`delete` land in a Map keyed by the key's latin1 string and are visible to
 * `get` and `range` at once; `flush` hands them to the changelog layer as one batch. Ranges merge the
 * cache with the backend in key order; a sorted index of the cached keys is built on the first range, and
 * keys cached after it are merged into it in one pass by the next range, so a put costs a Map set (and
 * an array push once someone has ranged).
 *
 * A flush writes exactly the changes made before `flush()` was called (taken synchronously, so a
 * checkpoint's store position never covers a write made after it was requested), even when it has to
 * wait for an earlier flush. Writes made later stay cached for the next flush; a cached entry leaves
 * only if it was not overwritten meanwhile. A failed flush leaves the cache as it was, so retrying
 * flushes the same changes (and any newer). Flushes, restores and close are serialised in call order;
 * close lets queued flushes finish first.
 */
export class CachingStore implements BytesStore {
  readonly name: string;
  readonly #inner: ChangeloggedBackend;
  readonly #dirty = new Map<string, DirtyEntry>();
  #sorted: SortedKeys | undefined;
  /** Cached keys added since the index was last brought up to date. */
  #unsorted: string[] = [];
  #serial: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(name: string, inner: ChangeloggedBackend) {
    this.name = name;
    this.#inner = inner;
  }

  get position(): number | undefined {
    return this.#inner.position;
  }

  #check(): void {
    if (this.#closed) {
      throw new EngineError('STATE_STORE_CLOSED', `store ${this.name} is closed`, {
        details: { store: this.name },
      });
    }
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.#check();
    if (this.#dirty.size > 0) {
      const dirty = this.#dirty.get(keyString(key));
      if (dirty !== undefined) return dirty.value ?? undefined;
    }
    return this.#inner.get(key);
  }

  range(from?: Uint8Array, to?: Uint8Array, options: BackendRangeOptions = {}): KeyValueEntry[] {
    this.#check();
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return [];
    const reverse = options.reverse === true;
    if (this.#dirty.size === 0) return this.#inner.range(from, to, options);
    const sorted = this.#sortedDirty();
    const [start, end] = sorted.span(
      from === undefined ? undefined : keyString(from),
      to === undefined ? undefined : keyString(to),
    );
    const shadowing = end - start;
    if (shadowing === 0) return this.#inner.range(from, to, options);
    // Each cached key hides at most one backend entry, so `limit + shadowing` backend entries always
    // hold the first `limit` visible ones.
    const base = this.#inner.range(from, to, { limit: limit + shadowing, reverse });
    const out: KeyValueEntry[] = [];
    let i = 0;
    let j = 0;
    while (out.length < limit && (i < base.length || j < shadowing)) {
      const dirtyKey = j < shadowing ? sorted.at(reverse ? end - 1 - j : start + j) : undefined;
      const baseEntry = base[i];
      let order: number;
      if (dirtyKey === undefined) order = 1;
      else if (baseEntry === undefined) order = -1;
      else {
        const baseKey = keyString(baseEntry.key);
        order = dirtyKey === baseKey ? 0 : dirtyKey < baseKey ? -1 : 1;
        if (reverse) order = -order;
      }
      if (order <= 0) {
        const entry = this.#dirty.get(dirtyKey!)!;
        if (entry.value !== null) out.push({ key: entry.key, value: entry.value });
        j++;
        if (order === 0) i++;
      } else {
        out.push(baseEntry!);
        i++;
      }
    }
    return out;
  }

  #sortedDirty(): SortedKeys {
    if (this.#sorted === undefined) {
      this.#sorted = new SortedKeys();
      this.#sorted.insertMany([...this.#dirty.keys()]);
      this.#unsorted = [];
    } else if (this.#unsorted.length > 0) {
      this.#sorted.insertMany(this.#unsorted);
      this.#unsorted = [];
    }
    return this.#sorted;
  }

  approximateCount(): number {
    this.#check();
    let count = this.#inner.count();
    for (const entry of this.#dirty.values()) {
      const stored = this.#inner.get(entry.key) !== undefined;
      if (entry.value !== null && !stored) count++;
      else if (entry.value === null && stored) count--;
    }
    return count;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.#check();
    this.#checkSize(key, value);
    this.#set(key, value);
  }

  delete(key: Uint8Array): void {
    this.#check();
    if (key.length > this.#inner.backend.maxKeyBytes) return; // such a key can never have been stored
    this.#set(key, null);
  }

  #set(key: Uint8Array, value: Uint8Array | null): void {
    const k = keyString(key);
    const isNew = this.#sorted !== undefined && !this.#dirty.has(k);
    this.#dirty.set(k, new DirtyEntry(key, value));
    // Merged into the index by the next range, in one pass (inserting one by one is quadratic).
    if (isNew) this.#unsorted.push(k);
  }

  /** Refuses at put time what the backend or the changelog would refuse at flush time. */
  #checkSize(key: Uint8Array, value: Uint8Array): void {
    const maxKey = this.#inner.backend.maxKeyBytes;
    if (key.length > maxKey) {
      throw new EngineError(
        'STATE_KEY_TOO_LARGE',
        `store ${this.name}: key of ${key.length} bytes is over the ${this.#inner.backend.kind} limit of ${maxKey}`,
        { details: { store: this.name, size: key.length, limit: maxKey } },
      );
    }
    const maxRecord = this.#inner.maxRecordBytes;
    if (maxRecord !== undefined && key.length + value.length + RECORD_OVERHEAD_BYTES > maxRecord) {
      throw new EngineError(
        'RECORD_TOO_LARGE',
        `store ${this.name}: entry of ${key.length + value.length} bytes does not fit a changelog record (limit ${maxRecord} with framing)`,
        { details: { store: this.name, size: key.length + value.length, limit: maxRecord } },
      );
    }
  }

  #serialise<T>(action: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(action);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  flush(): Promise<FlushResult> {
    this.#check();
    const taken = [...this.#dirty];
    return this.#serialise(async () => {
      // An earlier flush may have written some of these already, or a restore discarded them.
      const pending = taken.filter(([, entry]) => !entry.settled);
      const end = await this.#inner.write(pending.map(([, entry]) => entry));
      let removed = 0;
      for (const [k, entry] of pending) {
        entry.settled = true;
        if (this.#dirty.get(k) === entry) {
          this.#dirty.delete(k);
          removed++;
        }
      }
      if (removed > 0) this.#sorted = undefined;
      return { changelogEndOffset: end, records: pending.length, expired: 0 };
    });
  }

  restore(options: RestoreOptions): Promise<RestoreResult> {
    this.#check();
    return this.#serialise(async () => {
      for (const entry of this.#dirty.values()) entry.settled = true;
      this.#dirty.clear();
      this.#sorted = undefined;
      const { result, tailKeys } = await this.#inner.restore(options);
      // Re-assert the restored value (or absence) of every key the changelog's tail touched.
      for (const key of tailKeys) {
        const k = keyString(key);
        if (!this.#dirty.has(k)) this.#set(key, this.#inner.get(key) ?? null);
      }
      return result;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#serial;
    this.#dirty.clear();
    this.#sorted = undefined;
    await this.#inner.close();
  }
}
