import { resolve } from 'node:path';
import { open } from 'lmdb';
import { EngineError } from '../model/index.ts';
import { prefixUpperBound } from './byte-order.ts';
import type {
  BackendRangeOptions,
  BackendWrite,
  KeyValueBackend,
  KeyValueEntry,
} from './key-value-backend.ts';

type RootDatabase = ReturnType<typeof open<Uint8Array, Uint8Array>>;
/** A named database of the environment (lmdb does not export the class type). */
type Database = Omit<RootDatabase, 'openDB'>;

export interface LmdbBackendOptions {
  /** The environment directory (created if missing). One backend per directory per process. */
  path: string;
}

/** LMDB refuses keys over 1978 bytes; one byte goes to the key prefix below. */
const LMDB_MAX_KEY_BYTES = 1978;
/**
 * Every data key is stored as 0x00 + key: LMDB refuses empty keys and stores must accept them (a '' string
 * key is ordinary user data). The prefix keeps the order. Bounds below are built in the same space:
 * [0x00] is the lowest possible stored key, [0x01] is above them all.
 */
const LOWEST = Buffer.from([0x00]);
const ABOVE_ALL = Buffer.from([0x01]);
const META_KEY = Buffer.from('position', 'latin1');

/** Directories open in this thread: a second backend on the same environment would share its data. */
const openPaths = new Set<string>();

function failure(error: unknown, what: string, path: string): EngineError {
  return new EngineError(
    'STATE_BACKEND_FAILED',
    `LMDB ${what} failed in ${path}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error, details: { path } },
  );
}

/**
 * A backend on an LMDB environment (npm `lmdb`, native): two named databases, `data` (the entries) and
 * `meta` (the meta value), written together in one transaction.
 *
 * Durability: the environment is opened with `noSync: false` and `overlappingSync: false`, so `apply`
 * commits with `transactionSync`, which fdatasyncs before it returns (one fdatasync per apply, checked
 * with strace): a returned `apply` survives a power loss. Not chosen: `noSync`, with which a system crash
 * can corrupt the environment (it would then fail to open); `overlappingSync` (lmdb-js's default on
 * Linux), with which a commit becomes durable only later: since entries and position share one
 * transaction a crash would merely roll the snapshot back to an older consistent position (restore then
 * replays more), but `apply` would no longer be durable on return. The cost is one fdatasync per flush
 * per store, during which `transactionSync` blocks the thread.
 * The changelog, not this directory, is the source of truth: losing the directory costs a full restore.
 *
 * Keys and values are binary; reads return copies (lmdb's `getBinary` and range entries), never views of
 * the memory map.
 */
export class LmdbBackend implements KeyValueBackend {
  readonly kind = 'lmdb';
  readonly maxKeyBytes = LMDB_MAX_KEY_BYTES - 1;
  readonly path: string;
  readonly #root: RootDatabase;
  readonly #data: Database;
  readonly #meta: Database;
  /** Reused for point lookups: lmdb copies the key before `get`/`put` returns. */
  readonly #scratch = Buffer.allocUnsafe(LMDB_MAX_KEY_BYTES);
  #closed = false;

  private constructor(path: string, root: RootDatabase) {
    this.path = path;
    this.#root = root;
    this.#data = root.openDB<Uint8Array, Uint8Array>({
      name: 'data',
      keyEncoding: 'binary',
      encoding: 'binary',
      cache: false,
    });
    this.#meta = root.openDB<Uint8Array, Uint8Array>({
      name: 'meta',
      keyEncoding: 'binary',
      encoding: 'binary',
      cache: false,
    });
  }

  /** Opens (creating if needed) the environment at `options.path`. Throws STATE_BACKEND_FAILED. */
  static open(options: LmdbBackendOptions): LmdbBackend {
    const path = resolve(options.path);
    if (openPaths.has(path)) {
      throw new EngineError('INVALID_ARGUMENT', `LMDB environment ${path} is already open in this process`, {
        details: { path },
      });
    }
    let root: RootDatabase | undefined;
    try {
      root = open<Uint8Array, Uint8Array>({
        path,
        maxDbs: 2,
        noSync: false,
        overlappingSync: false,
        compression: false,
        cache: false,
        keyEncoding: 'binary',
        encoding: 'binary',
      });
      const backend = new LmdbBackend(path, root);
      openPaths.add(path);
      return backend;
    } catch (error) {
      root?.close().catch(() => undefined);
      throw failure(error, 'open', path);
    }
  }

  #check(): void {
    if (this.#closed) throw new EngineError('STATE_STORE_CLOSED', `LMDB backend ${this.path} is closed`);
  }

  /** The stored form of `key` in the scratch buffer (valid until the next call). */
  #scratchKey(key: Uint8Array): Buffer {
    if (key.length > this.maxKeyBytes) {
      throw new EngineError(
        'STATE_BACKEND_FAILED',
        `key of ${key.length} bytes is over LMDB's limit of ${this.maxKeyBytes}`,
      );
    }
    this.#scratch[0] = 0;
    this.#scratch.set(key, 1);
    return this.#scratch.subarray(0, key.length + 1);
  }

  #storedKey(key: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(key.length + 1);
    out[0] = 0;
    out.set(key, 1);
    return out;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.#check();
    if (key.length > this.maxKeyBytes) return undefined;
    try {
      return this.#data.getBinary(this.#scratchKey(key));
    } catch (error) {
      throw failure(error, 'get', this.path);
    }
  }

  /**
   * A range bound in stored-key space. A bound longer than any storable key is cut to `maxKeyBytes`,
   * which flips its inclusiveness: no stored key lies strictly between the cut and the full bound.
   */
  #bound(key: Uint8Array | undefined, side: 'low' | 'high'): { key: Buffer; inclusive: boolean } {
    if (key === undefined)
      return side === 'low' ? { key: LOWEST, inclusive: true } : { key: ABOVE_ALL, inclusive: false };
    const cut = key.length > this.maxKeyBytes;
    const stored = this.#storedKey(cut ? key.subarray(0, this.maxKeyBytes) : key);
    return { key: stored, inclusive: side === 'low' ? !cut : cut };
  }

  range(from?: Uint8Array, to?: Uint8Array, options: BackendRangeOptions = {}): KeyValueEntry[] {
    this.#check();
    const out: KeyValueEntry[] = [];
    if (options.limit !== undefined && options.limit <= 0) return out;
    const low = this.#bound(from, 'low');
    const high = this.#bound(to, 'high');
    const order = Buffer.compare(low.key, high.key);
    if (order > 0 || (order === 0 && !(low.inclusive && high.inclusive))) return out;
    const query =
      options.reverse === true
        ? {
            start: high.key,
            exclusiveStart: !high.inclusive,
            end: low.key,
            inclusiveEnd: low.inclusive,
            reverse: true,
          }
        : { start: low.key, exclusiveStart: !low.inclusive, end: high.key, inclusiveEnd: high.inclusive };
    try {
      for (const entry of this.#data.getRange({ ...query, limit: options.limit })) {
        out.push({ key: (entry.key as Buffer).subarray(1), value: entry.value });
      }
    } catch (error) {
      throw failure(error, 'range', this.path);
    }
    return out;
  }

  prefix(prefix: Uint8Array, options?: BackendRangeOptions): KeyValueEntry[] {
    return this.range(prefix, prefixUpperBound(prefix), options);
  }

  count(): number {
    this.#check();
    const stats = this.#data.getStats() as { entryCount?: unknown };
    return typeof stats.entryCount === 'number' ? stats.entryCount : this.#data.getCount();
  }

  apply(writes: readonly BackendWrite[], meta?: Uint8Array): void {
    this.#check();
    try {
      // One synchronous, synced write transaction: all of the batch and the meta value, or none of it
      // (an exception inside aborts the transaction).
      this.#data.transactionSync(() => {
        for (const write of writes) {
          const key = this.#scratchKey(write.key);
          if (write.value === null) this.#data.removeSync(key);
          else this.#data.putSync(key, write.value);
        }
        if (meta !== undefined) this.#meta.putSync(META_KEY, meta);
      });
    } catch (error) {
      if (error instanceof EngineError) throw error;
      throw failure(error, 'write', this.path);
    }
  }

  clear(): void {
    this.#check();
    try {
      // clearSync joins the enclosing transaction, so entries and meta go together.
      this.#data.transactionSync(() => {
        this.#meta.removeSync(META_KEY);
        this.#data.clearSync();
      });
    } catch (error) {
      throw failure(error, 'clear', this.path);
    }
  }

  meta(): Uint8Array | undefined {
    this.#check();
    try {
      return this.#meta.getBinary(META_KEY);
    } catch (error) {
      throw failure(error, 'read meta', this.path);
    }
  }

  /** Closes the environment (waits for lmdb to release it). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#root.close();
    } finally {
      openPaths.delete(this.path);
    }
  }
}
