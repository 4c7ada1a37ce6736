import type { BytesStore, FlushResult } from './bytes-store.ts';
import type { BackendRangeOptions, KeyValueEntry } from './key-value-backend.ts';
import type { RestoreOptions, RestoreResult } from './restore-result.ts';

/** A store's counters since it was created. A plain object: the runtime exports it however it likes. */
export interface StoreMetrics {
  gets: number;
  puts: number;
  deletes: number;
  ranges: number;
  flushes: number;
  /** Records written by flushes (changelog records / backend writes). */
  flushedRecords: number;
  /** Expired entries purged by flushes (TTL stores). */
  expiredPurged: number;
  flushLatencyMsTotal: number;
  flushLatencyMsMax: number;
  lastFlushLatencyMs: number;
  restores: number;
  recordsRestored: number;
}

function zeroMetrics(): StoreMetrics {
  return {
    gets: 0,
    puts: 0,
    deletes: 0,
    ranges: 0,
    flushes: 0,
    flushedRecords: 0,
    expiredPurged: 0,
    flushLatencyMsTotal: 0,
    flushLatencyMsMax: 0,
    lastFlushLatencyMs: 0,
    restores: 0,
    recordsRestored: 0,
  };
}

/**
 * The outermost byte-level decorator: counts operations and times flushes (wall time through
 * `performance.now()`, a measurement, not engine time). Counts calls that returned; failed calls are not
 * counted.
 */
export class MeteredStore implements BytesStore {
  readonly name: string;
  readonly #inner: BytesStore;
  readonly #metrics = zeroMetrics();

  constructor(inner: BytesStore) {
    this.name = inner.name;
    this.#inner = inner;
  }

  get position(): number | undefined {
    return this.#inner.position;
  }

  /** A copy of the counters. */
  metrics(): StoreMetrics {
    return { ...this.#metrics };
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const value = this.#inner.get(key);
    this.#metrics.gets++;
    return value;
  }

  range(from?: Uint8Array, to?: Uint8Array, options?: BackendRangeOptions): KeyValueEntry[] {
    const entries = this.#inner.range(from, to, options);
    this.#metrics.ranges++;
    return entries;
  }

  approximateCount(): number {
    return this.#inner.approximateCount();
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.#inner.put(key, value);
    this.#metrics.puts++;
  }

  delete(key: Uint8Array): void {
    this.#inner.delete(key);
    this.#metrics.deletes++;
  }

  async flush(): Promise<FlushResult> {
    const started = performance.now();
    const result = await this.#inner.flush();
    const ms = performance.now() - started;
    const m = this.#metrics;
    m.flushes++;
    m.flushedRecords += result.records;
    m.expiredPurged += result.expired;
    m.flushLatencyMsTotal += ms;
    m.flushLatencyMsMax = Math.max(m.flushLatencyMsMax, ms);
    m.lastFlushLatencyMs = ms;
    return result;
  }

  async restore(options: RestoreOptions): Promise<RestoreResult> {
    const result = await this.#inner.restore(options);
    this.#metrics.restores++;
    this.#metrics.recordsRestored += result.recordsReplayed;
    return result;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
