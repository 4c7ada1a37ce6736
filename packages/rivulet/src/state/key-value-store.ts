import type { FlushResult } from './bytes-store.ts';
import type { StoreMetrics } from './metered-store.ts';
import type { RestoreOptions, RestoreResult } from './restore-result.ts';

/** One typed entry of a scan (a class, so every row has the same shape). */
export class KeyValue<K, V> {
  constructor(
    readonly key: K,
    readonly value: V,
  ) {}
}

export interface RangeOptions {
  /** At most this many entries (default: all). */
  limit?: number;
  /** Descending encoded-key order. */
  reverse?: boolean;
}

/**
 * A typed, ordered key-value store (DESIGN §4), created by `createKeyValueStore`.
 *
 * Ordering: scans return entries by the unsigned byte order of the ENCODED key (the key serde decides
 * what that means for K; `stringSerde` gives UTF-8 byte order, which is code point order).
 * Blocking: reads and writes are synchronous and see every earlier write of this store
 * (read-your-writes), flushed or not. `flush`, `restore` and `close` are asynchronous and run one at a
 * time in call order.
 * Durability: nothing is durable until `flush` resolves; `close` and a crash drop unflushed writes.
 * Ownership: the store owns what it is given (do not mutate a `Uint8Array` after putting it) and values
 * it returns may share its memory (do not mutate them either). One store per changelog partition and per
 * LMDB directory.
 * Failure: EngineError codes STATE_STORE_CLOSED, STATE_KEY_TOO_LARGE and RECORD_TOO_LARGE (at put),
 * STATE_CHANGELOG_DIVERGED, STATE_BACKEND_FAILED and the log's append errors (at flush),
 * STATE_RESTORE_FAILED (at restore); serde errors (INVALID_RECORD, INVALID_JSON) at decode.
 */
export interface KeyValueStore<K, V> {
  /** The user-given name (DESIGN §6): store name, metric label, part of the changelog topic name. */
  readonly name: string;
  /**
   * The changelog offset (exclusive) the flushed state corresponds to: what a checkpoint records and
   * `restore({ upToOffset })` takes back. Undefined without changelog, or while unknown (before a restore).
   */
  readonly position: number | undefined;

  get(key: K): V | undefined;
  put(key: K, value: V): void;
  delete(key: K): void;
  /** Entries with `from <= key < to` (encoded); a missing bound is open. */
  range(from?: K, to?: K, options?: RangeOptions): KeyValue<K, V>[];
  /** Entries whose encoded key starts with the encoding of `prefix`. */
  prefixScan(prefix: K, options?: RangeOptions): KeyValue<K, V>[];
  /** Entries stored plus unflushed changes; TTL stores count expired entries until they are purged. */
  approximateCount(): number;

  /**
   * Writes the unflushed changes to the changelog (one append, awaited) and then to the backend, with the
   * changelog end offset as the backend's position (changelogged-backend.ts has the ordering contract).
   */
  flush(): Promise<FlushResult>;
  /**
   * Drops unflushed changes and brings the store to exactly the changelog's state below `upToOffset`:
   * from the local snapshot when its position matches, else by replay (restore-from-changelog.ts).
   */
  restore(options: RestoreOptions): Promise<RestoreResult>;
  metrics(): StoreMetrics;
  /** Waits for a running flush and releases the backend; unflushed changes are dropped. Idempotent. */
  close(): Promise<void>;
}
