import type { Redis } from 'ioredis';
import { EngineError } from 'rivulet/connector';
import { assertRedisUrl, createRedisClient, redisError } from './connect-redis.ts';

const CONNECTOR = 'redis-lookup';
/** Keys per MGET; a larger batch is sent as several MGETs in one pipeline. */
const MGET_CHUNK = 1000;

export interface RedisLookupOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS). */
  url: string;
  /** Prepended to every key looked up (`get('42')` reads `<keyPrefix>42`). */
  keyPrefix?: string;
  /**
   * Keeps up to `maxEntries` answers (misses too) for `ttlMs` each, dropping the least recently used
   * first. Without it every get goes to Redis.
   */
  cache?: { maxEntries: number; ttlMs: number };
  /** The clock for cache expiry (default Date.now); tests inject a manual one. */
  now?: () => number;
}

/** A live lookup of string values by key; `close()` releases its connection. */
export interface RedisLookup {
  /** The value of `key` as UTF-8 text, or null when the key does not exist. */
  get(key: string): Promise<string | null>;
  close(): Promise<void>;
}

interface Waiting {
  readonly promise: Promise<string | null>;
  resolve(value: string | null): void;
  reject(error: unknown): void;
}

interface Cached {
  value: string | null;
  expiresAt: number;
}

/**
 * Opens a lookup for enrichment (`stream.mapAsync(name, (v) => lookup.get(v.id))`). Gets made in the
 * same turn of the event loop are answered by one MGET (several keys, one command; the same key asked
 * twice is asked once), sent on setImmediate. With `cache`, answers are kept in a bounded LRU with a
 * TTL. A failed MGET rejects every get waiting on it with CONNECTOR_UNAVAILABLE / CONNECTOR_FAILED.
 * The connection opens in the background and is retried by ioredis; a get waits through up to 3
 * reconnect attempts before it rejects.
 */
export function createRedisLookup(options: RedisLookupOptions): RedisLookup {
  const config = resolveLookupOptions(options);
  // A get waits through at most 3 reconnect attempts (about 0.6 s) before it fails.
  const redis = createRedisClient(config.url, CONNECTOR, {
    keyPrefix: config.keyPrefix,
    maxRetriesPerRequest: 3,
  });
  return new BatchingLookup(redis, config.cache, config.now);
}

class BatchingLookup implements RedisLookup {
  readonly #redis: Redis;
  readonly #cache: Map<string, Cached> | undefined;
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Keys asked since the last flush, each with the one promise every asker of it gets. */
  #waiting = new Map<string, Waiting>();
  #scheduled = false;
  #closed = false;

  constructor(redis: Redis, cache: { maxEntries: number; ttlMs: number } | undefined, now: () => number) {
    this.#redis = redis;
    this.#cache = cache === undefined ? undefined : new Map();
    this.#maxEntries = cache?.maxEntries ?? 0;
    this.#ttlMs = cache?.ttlMs ?? 0;
    this.#now = now;
  }

  get(key: string): Promise<string | null> {
    if (this.#closed)
      return Promise.reject(
        new EngineError('CONNECTOR_FAILED', `${CONNECTOR}: get after close`, {
          retryable: false,
          details: { connector: CONNECTOR },
        }),
      );
    const cache = this.#cache;
    if (cache !== undefined) {
      const hit = cache.get(key);
      if (hit !== undefined) {
        if (hit.expiresAt > this.#now()) {
          cache.delete(key); // re-insert: Map order is recency order
          cache.set(key, hit);
          return Promise.resolve(hit.value);
        }
        cache.delete(key);
      }
    }
    const waiting = this.#waiting.get(key);
    if (waiting !== undefined) return waiting.promise;
    let resolve!: (value: string | null) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<string | null>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#waiting.set(key, { promise, resolve, reject });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    return promise;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#waiting;
    this.#waiting = new Map();
    const keys = [...batch.keys()];
    const replies: Array<Promise<Array<string | null>>> = [];
    for (let i = 0; i < keys.length; i += MGET_CHUNK)
      replies.push(this.#redis.mget(keys.slice(i, i + MGET_CHUNK)));
    Promise.all(replies).then(
      (chunks) => {
        const expiresAt = this.#now() + this.#ttlMs;
        let i = 0;
        for (const chunk of chunks)
          for (const value of chunk) {
            const key = keys[i++]!;
            this.#remember(key, value, expiresAt);
            batch.get(key)!.resolve(value);
          }
      },
      (error: unknown) => {
        const failure = redisError(error, CONNECTOR, `MGET of ${keys.length} keys`);
        for (const waiting of batch.values()) waiting.reject(failure);
      },
    );
  }

  #remember(key: string, value: string | null, expiresAt: number): void {
    const cache = this.#cache;
    if (cache === undefined) return;
    cache.delete(key);
    cache.set(key, { value, expiresAt });
    if (cache.size > this.#maxEntries) cache.delete(cache.keys().next().value!);
  }
}

function resolveLookupOptions(options: RedisLookupOptions): {
  url: string;
  keyPrefix: string;
  cache: { maxEntries: number; ttlMs: number } | undefined;
  now: () => number;
} {
  const fail = (option: string, why: string, value: unknown): never => {
    throw new EngineError('INVALID_ARGUMENT', `${CONNECTOR}: option '${option}' ${why}`, {
      details: { connector: CONNECTOR, option, value },
    });
  };
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object', options);
  assertRedisUrl(options.url, CONNECTOR);
  const { keyPrefix = '', cache, now = Date.now } = options;
  if (typeof keyPrefix !== 'string') fail('keyPrefix', 'must be a string', keyPrefix);
  if (cache !== undefined) {
    if (typeof cache !== 'object' || cache === null) fail('cache', 'must be { maxEntries, ttlMs }', cache);
    if (!(Number.isSafeInteger(cache.maxEntries) && cache.maxEntries >= 1))
      fail('cache.maxEntries', 'must be a positive integer', cache.maxEntries);
    if (!(Number.isFinite(cache.ttlMs) && cache.ttlMs > 0))
      fail('cache.ttlMs', 'must be a positive number of ms', cache.ttlMs);
  }
  if (typeof now !== 'function') fail('now', 'must be a function returning ms', now);
  return {
    url: options.url,
    keyPrefix,
    cache: cache === undefined ? undefined : { maxEntries: cache.maxEntries, ttlMs: cache.ttlMs },
    now,
  };
}
