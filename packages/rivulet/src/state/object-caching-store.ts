import { EngineError, type Serde } from '../model/index.ts';
import { keyString } from './byte-order.ts';
import type { FlushResult } from './bytes-store.ts';
import type { KeyValue, KeyValueStore, RangeOptions } from './key-value-store.ts';
import type { MeteredStore, StoreMetrics } from './metered-store.ts';
import type { RestoreOptions, RestoreResult } from './restore-result.ts';
import { TypedKeyValueStore } from './typed-key-value-store.ts';

/** Keys a Map can hold by value: equal ones are the same key and encode to the same bytes. */
function isPrimitive(key: unknown): boolean {
  const type = typeof key;
  // Not NaN, the infinities (JSON encodes them all as null) or -0 (a Map takes it for 0).
  if (type === 'number') return Number.isFinite(key) && !Object.is(key, -0);
  return type === 'string' || type === 'boolean';
}

/** One key's decoded value as the store sees it; `value` undefined means absent. */
class CachedValue<V> {
  constructor(
    readonly key: Uint8Array,
    public value: V | undefined,
    /** Changed since the bytes below last had it: written down at the next write-down. */
    public dirty: boolean,
  ) {}
}

/**
 * A typed face of a store stack that keeps decoded values, as a heap state backend does: `get` decodes
 * a key's bytes once and then answers from the cache; `put` and `delete` change only the cache. Changed
 * entries are encoded and handed to the bytes below in one synchronous write-down, in the order they were
 * first changed, before every `flush` (so a flush takes exactly the writes made before it), `range`,
 * `prefixScan` and `approximateCount` (which therefore see every earlier write, like the typed store).
 *
 * Differences from TypedKeyValueStore, which callers must accept: a value is encoded at write-down, so
 * its encoding errors and RECORD_TOO_LARGE surface there (failing that flush or scan), not at `put` (key
 * size is still refused at `put`: STATE_KEY_TOO_LARGE); values returned are the live state, so they may
 * only be mutated to be put back. Scans decode afresh and do not fill the cache. When the cache holds
 * `maxEntries` keys, the next miss writes down and empties it. Store metrics count the bytes below
 * (write-downs and cache misses), not cache hits. `restore` and `close` drop the cache with the unflushed
 * writes. Not for TTL stores: expiry is decided below, at read time.
 */
export class ObjectCachingStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  readonly #bytes: MeteredStore;
  readonly #maxKeyBytes: number;
  readonly #maxEntries: number;
  /** Entries by key when the key is a string, number or boolean (equal keys encode equally: no encoding needed). */
  readonly #byValue = new Map<unknown, CachedValue<V>>();
  /** Entries of other keys by their encoding (as a latin1 string). */
  readonly #byBytes = new Map<string, CachedValue<V>>();
  readonly #dirty: CachedValue<V>[] = [];
  /** Scans, once written down, are the typed store's over the same bytes. */
  readonly #scans: TypedKeyValueStore<K, V>;

  constructor(
    bytes: MeteredStore,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    limits: { maxKeyBytes: number; maxEntries: number },
  ) {
    this.name = bytes.name;
    this.#bytes = bytes;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
    this.#maxKeyBytes = limits.maxKeyBytes;
    this.#maxEntries = limits.maxEntries;
    this.#scans = new TypedKeyValueStore(bytes, keySerde, valueSerde);
  }

  get position(): number | undefined {
    return this.#bytes.position;
  }

  get size(): number {
    return this.#byValue.size + this.#byBytes.size;
  }

  /** The cached entry of `key`; for a key that is not a primitive, `encoded` is its encoding. */
  #lookup(key: K, encoded: Uint8Array | undefined): CachedValue<V> | undefined {
    return encoded === undefined ? this.#byValue.get(key) : this.#byBytes.get(keyString(encoded));
  }

  #insert(key: K, entry: CachedValue<V>, byEncoding: boolean): void {
    if (this.size >= this.#maxEntries) this.#evict();
    if (byEncoding) this.#byBytes.set(keyString(entry.key), entry);
    else this.#byValue.set(key, entry);
  }

  get(key: K): V | undefined {
    const encoded = isPrimitive(key) ? undefined : this.#keySerde.encode(key);
    const cached = this.#lookup(key, encoded);
    if (cached !== undefined) return cached.value;
    const bytesKey = encoded ?? this.#keySerde.encode(key);
    if (bytesKey.length > this.#maxKeyBytes) return undefined; // never stored (put refuses it)
    const bytes = this.#bytes.get(bytesKey);
    const value = bytes === undefined ? undefined : this.#valueSerde.decode(bytes);
    this.#insert(key, new CachedValue(bytesKey, value, false), encoded !== undefined);
    return value;
  }

  put(key: K, value: V): void {
    this.#set(key, value);
  }

  delete(key: K): void {
    this.#set(key, undefined);
  }

  #set(key: K, value: V | undefined): void {
    const encoded = isPrimitive(key) ? undefined : this.#keySerde.encode(key);
    const cached = this.#lookup(key, encoded);
    if (cached !== undefined) {
      cached.value = value;
      if (!cached.dirty) {
        cached.dirty = true;
        this.#dirty.push(cached);
      }
      return;
    }
    const bytesKey = encoded ?? this.#keySerde.encode(key);
    if (bytesKey.length > this.#maxKeyBytes) {
      if (value === undefined) return; // such a key can never have been stored
      throw new EngineError(
        'STATE_KEY_TOO_LARGE',
        `store ${this.name}: key of ${bytesKey.length} bytes is over the limit of ${this.#maxKeyBytes}`,
        { details: { store: this.name, size: bytesKey.length, limit: this.#maxKeyBytes } },
      );
    }
    const entry = new CachedValue(bytesKey, value, true);
    this.#insert(key, entry, encoded !== undefined);
    this.#dirty.push(entry);
  }

  /**
   * Encodes the changed entries into the bytes below. On an encoding failure the entries before the
   * failing one are written down, it and the rest stay dirty, and the error is thrown (naming the store).
   */
  #writeDown(): void {
    const dirty = this.#dirty;
    let done = 0;
    try {
      for (; done < dirty.length; done++) {
        const entry = dirty[done]!;
        if (entry.value === undefined) this.#bytes.delete(entry.key);
        else this.#bytes.put(entry.key, this.#valueSerde.encode(entry.value));
        entry.dirty = false;
      }
    } catch (error) {
      dirty.splice(0, done);
      if (error instanceof EngineError) throw error;
      throw new EngineError(
        'INVALID_RECORD',
        `store ${this.name}: a value cannot be encoded: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, details: { store: this.name } },
      );
    }
    dirty.length = 0;
  }

  #evict(): void {
    this.#writeDown();
    this.#byValue.clear();
    this.#byBytes.clear();
  }

  range(from?: K, to?: K, options?: RangeOptions): KeyValue<K, V>[] {
    this.#writeDown();
    return this.#scans.range(from, to, options);
  }

  prefixScan(prefix: K, options?: RangeOptions): KeyValue<K, V>[] {
    this.#writeDown();
    return this.#scans.prefixScan(prefix, options);
  }

  approximateCount(): number {
    this.#writeDown();
    return this.#bytes.approximateCount();
  }

  flush(): Promise<FlushResult> {
    this.#writeDown();
    return this.#bytes.flush();
  }

  restore(options: RestoreOptions): Promise<RestoreResult> {
    this.#drop();
    return this.#bytes.restore(options);
  }

  #drop(): void {
    this.#byValue.clear();
    this.#byBytes.clear();
    this.#dirty.length = 0;
  }

  metrics(): StoreMetrics {
    return this.#bytes.metrics();
  }

  close(): Promise<void> {
    this.#drop();
    return this.#bytes.close();
  }
}
