/**
 * The byte-level storage under every store (memory or LMDB). Keys are ordered by `compareBytes`
 * (unsigned lexicographic). Reads are synchronous. A backend is owned by exactly one store; it is not
 * safe to share between stores or to write to from two places.
 */

/** One entry as read. The bytes belong to the caller (a backend never hands out a buffer it reuses). */
export interface KeyValueEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** One change in a batch: `value: null` deletes the key. */
export interface BackendWrite {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

export interface BackendRangeOptions {
  /** At most this many entries (default: no limit). */
  limit?: number;
  /** Descending key order: the entries just below `to` first. */
  reverse?: boolean;
}

export interface KeyValueBackend {
  /** 'memory' | 'lmdb', for metrics and errors. */
  readonly kind: string;
  /** Longest key accepted; stores refuse longer keys at put time (before the changelog sees them). */
  readonly maxKeyBytes: number;

  get(key: Uint8Array): Uint8Array | undefined;
  /** Entries with `from <= key < to` (a missing bound is open) in key order, or reversed. */
  range(from?: Uint8Array, to?: Uint8Array, options?: BackendRangeOptions): KeyValueEntry[];
  /** Entries whose key starts with `prefix`, in key order. */
  prefix(prefix: Uint8Array, options?: BackendRangeOptions): KeyValueEntry[];
  /** Number of entries (exact, O(1)). */
  count(): number;

  /**
   * Applies the whole batch or nothing, in order (a later write to the same key wins), together with
   * `meta` when given (left unchanged when undefined). Returns once the change is durable to the
   * backend's standard (LMDB: committed and synced; memory: never durable). Throws
   * STATE_BACKEND_FAILED, after which the backend holds the state from before the call.
   */
  apply(writes: readonly BackendWrite[], meta?: Uint8Array): void;
  /** Removes every entry and the meta value, atomically. */
  clear(): void;
  /** The value last given to `apply(.., meta)`, undefined when none (or after `clear`). */
  meta(): Uint8Array | undefined;

  /** Releases the backend (LMDB: closes the environment). Idempotent; later calls throw STATE_STORE_CLOSED. */
  close(): Promise<void>;
}
