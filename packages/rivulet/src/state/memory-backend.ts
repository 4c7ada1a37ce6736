import { EngineError } from '../model/index.ts';
import { keyBytes, keyString, prefixUpperBound } from './byte-order.ts';
import type {
  BackendRangeOptions,
  BackendWrite,
  KeyValueBackend,
  KeyValueEntry,
} from './key-value-backend.ts';
import { SortedKeys } from './sorted-keys.ts';

/** LMDB's key limit (lmdb-backend.ts), so a pipeline tested on memory stores does not fail on LMDB. */
export const DEFAULT_MAX_KEY_BYTES = 1977;

export interface MemoryBackendOptions {
  /** Longest key accepted (default DEFAULT_MAX_KEY_BYTES, the LMDB limit). */
  maxKeyBytes?: number;
}

/**
 * An in-memory backend: a Map from key string (latin1) to value plus a sorted key array (SortedKeys) for
 * ordered scans, so a range costs O(log n + results), never a sort. `apply` copies the bytes it keeps
 * (a batch may hold views into a large fetch buffer). Returned values are the stored buffers: read-only.
 * Nothing survives the process; restore rebuilds it from the changelog.
 */
export class MemoryBackend implements KeyValueBackend {
  readonly kind = 'memory';
  readonly maxKeyBytes: number;
  readonly #values = new Map<string, Uint8Array>();
  readonly #keys = new SortedKeys();
  #meta: Uint8Array | undefined;
  #closed = false;

  constructor(options: MemoryBackendOptions = {}) {
    this.maxKeyBytes = options.maxKeyBytes ?? DEFAULT_MAX_KEY_BYTES;
  }

  #check(): void {
    if (this.#closed) throw new EngineError('STATE_STORE_CLOSED', 'memory backend is closed');
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.#check();
    return this.#values.get(keyString(key));
  }

  range(from?: Uint8Array, to?: Uint8Array, options: BackendRangeOptions = {}): KeyValueEntry[] {
    this.#check();
    const [start, end] = this.#keys.span(
      from === undefined ? undefined : keyString(from),
      to === undefined ? undefined : keyString(to),
    );
    const limit = Math.min(options.limit ?? Number.POSITIVE_INFINITY, end - start);
    const out: KeyValueEntry[] = [];
    for (let n = 0; n < limit; n++) {
      const key = this.#keys.at(options.reverse === true ? end - 1 - n : start + n);
      out.push({ key: keyBytes(key), value: this.#values.get(key)! });
    }
    return out;
  }

  prefix(prefix: Uint8Array, options?: BackendRangeOptions): KeyValueEntry[] {
    return this.range(prefix, prefixUpperBound(prefix), options);
  }

  count(): number {
    this.#check();
    return this.#values.size;
  }

  apply(writes: readonly BackendWrite[], meta?: Uint8Array): void {
    this.#check();
    for (const write of writes) {
      if (write.key.length > this.maxKeyBytes) {
        throw new EngineError(
          'STATE_BACKEND_FAILED',
          `key of ${write.key.length} bytes is over the limit of ${this.maxKeyBytes}`,
        );
      }
    }
    // Validated above, so nothing below throws: the batch applies whole.
    const added = new Set<string>();
    const removed = new Set<string>();
    for (const write of writes) {
      const key = keyString(write.key);
      if (write.value === null) {
        if (this.#values.delete(key)) {
          if (!added.delete(key)) removed.add(key);
        }
      } else {
        if (!this.#values.has(key) && !removed.delete(key)) added.add(key);
        this.#values.set(key, new Uint8Array(write.value));
      }
    }
    this.#keys.removeMany(removed);
    this.#keys.insertMany([...added]);
    if (meta !== undefined) this.#meta = new Uint8Array(meta);
  }

  clear(): void {
    this.#check();
    this.#values.clear();
    this.#keys.clear();
    this.#meta = undefined;
  }

  meta(): Uint8Array | undefined {
    this.#check();
    return this.#meta;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
