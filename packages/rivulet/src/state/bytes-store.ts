import type { BackendRangeOptions, KeyValueEntry } from './key-value-backend.ts';
import type { RestoreOptions, RestoreResult } from './restore-result.ts';

/** What a flush did. */
export interface FlushResult {
  /**
   * The changelog end offset after the flush (the partition's next offset): the store position a
   * checkpoint records. Undefined for a store without changelog.
   */
  readonly changelogEndOffset: number | undefined;
  /** Records written (changelog records and backend writes; expired-entry tombstones included). */
  readonly records: number;
  /** Expired entries this flush purged (TTL stores). */
  readonly expired: number;
}

/**
 * The byte-level store contract each decorator implements and wraps (metrics -> ttl -> cache ->
 * changelog -> backend, see create-key-value-store.ts). Keys and values are bytes; ordering is
 * byte-order.ts. Reads and writes are synchronous and see every earlier write (read-your-writes);
 * `flush` and `restore` are asynchronous and run one at a time in call order. Bytes handed to `put` become
 * the store's; bytes returned are read-only.
 */
export interface BytesStore {
  readonly name: string;
  /** The changelog offset the backend reflects (see ChangeloggedBackend.position). */
  readonly position: number | undefined;
  get(key: Uint8Array): Uint8Array | undefined;
  /** Entries with `from <= key < to` in key order (or reversed), at most `limit`. */
  range(from?: Uint8Array, to?: Uint8Array, options?: BackendRangeOptions): KeyValueEntry[];
  /** Entries in the backend plus unflushed changes; counts expired entries not yet purged. */
  approximateCount(): number;
  put(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  flush(): Promise<FlushResult>;
  /** Discards unflushed changes and restores the flushed state (restore-from-changelog.ts). */
  restore(options: RestoreOptions): Promise<RestoreResult>;
  /** Waits for a running flush, then releases the backend. Unflushed changes are discarded. Idempotent. */
  close(): Promise<void>;
}
