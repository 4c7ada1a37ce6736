import {
  type Clock,
  type Duration,
  EngineError,
  parseDuration,
  type Serde,
  systemClock,
} from '../model/index.ts';
import type { BytesStore } from './bytes-store.ts';
import { CachingStore } from './caching-store.ts';
import type { Changelog } from './changelog.ts';
import { ChangeloggedBackend } from './changelogged-backend.ts';
import type { KeyValueBackend } from './key-value-backend.ts';
import type { KeyValueStore } from './key-value-store.ts';
import { LmdbBackend } from './lmdb-backend.ts';
import { MemoryBackend } from './memory-backend.ts';
import { MeteredStore } from './metered-store.ts';
import { ObjectCachingStore } from './object-caching-store.ts';
import { TtlStore } from './ttl-store.ts';
import { TypedKeyValueStore } from './typed-key-value-store.ts';

export interface KeyValueStoreOptions<K, V> {
  /** The user-given store name (DESIGN §6). */
  name: string;
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
  /**
   * 'memory' (default), an LMDB environment directory, or a backend instance. The store owns the backend
   * either way: `close()` closes it.
   */
  backend?: 'memory' | { lmdb: { path: string } } | KeyValueBackend;
  /** The changelog partition (the topic must exist: see ensureChangelogTopic). None: a local-only store. */
  changelog?: Changelog;
  /** Entries expire this long after their last write (ms or '10m'). */
  ttl?: Duration;
  /** Supplies write times for TTL (default: the system clock). */
  clock?: Clock;
  /** Entries a flush inspects for expiry (default 1000). */
  purgeLimit?: number;
  /**
   * Keep up to this many decoded values and encode changes only when flushing or scanning
   * (object-caching-store.ts has the contract differences). Off by default; not with `ttl`.
   */
  objectCacheEntries?: number;
}

function openBackend(backend: KeyValueStoreOptions<unknown, unknown>['backend']): KeyValueBackend {
  if (backend === undefined || backend === 'memory') return new MemoryBackend();
  if (typeof backend === 'object' && 'lmdb' in backend) return LmdbBackend.open({ path: backend.lmdb.path });
  if (typeof backend === 'object' && typeof backend.apply === 'function') return backend;
  throw new EngineError('INVALID_ARGUMENT', `unknown store backend ${String(backend)}`);
}

/**
 * Creates a live store: the decorator stack metrics -> ttl (when set) -> cache -> changelog -> backend,
 * under a typed face. Validates options and the changelog topic (UNKNOWN_TOPIC) before opening the
 * backend. A store whose backend holds a position for this changelog resumes from it; otherwise call
 * `restore` before the first flush (STATE_CHANGELOG_DIVERGED otherwise, unless backend and changelog are
 * both empty).
 */
export async function createKeyValueStore<K, V>(
  options: KeyValueStoreOptions<K, V>,
): Promise<KeyValueStore<K, V>> {
  const { name } = options;
  if (typeof name !== 'string' || name.length === 0) {
    throw new EngineError('INVALID_ARGUMENT', 'a store needs a non-empty name');
  }
  const ttlMs = options.ttl === undefined ? undefined : parseDuration(options.ttl);
  if (ttlMs !== undefined && ttlMs <= 0) {
    throw new EngineError('INVALID_ARGUMENT', `store ${name}: ttl must be positive, got ${ttlMs} ms`);
  }
  const purgeLimit = options.purgeLimit ?? 1000;
  if (!Number.isSafeInteger(purgeLimit) || purgeLimit < 1) {
    throw new EngineError('INVALID_ARGUMENT', `store ${name}: purgeLimit must be a positive integer`);
  }
  const cacheEntries = options.objectCacheEntries;
  if (
    cacheEntries !== undefined &&
    (!Number.isSafeInteger(cacheEntries) || cacheEntries < 1 || ttlMs !== undefined)
  ) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `store ${name}: objectCacheEntries must be a positive integer, and cannot be combined with ttl`,
    );
  }
  const changelog = options.changelog;
  if (changelog !== undefined) {
    changelog.log.partition(changelog.topic, changelog.partition); // UNKNOWN_TOPIC / UNKNOWN_PARTITION
  }
  const backend = openBackend(options.backend);
  try {
    let bytes: BytesStore = new CachingStore(name, new ChangeloggedBackend(name, backend, changelog));
    if (ttlMs !== undefined) bytes = new TtlStore(bytes, ttlMs, options.clock ?? systemClock, purgeLimit);
    if (cacheEntries !== undefined)
      return new ObjectCachingStore(new MeteredStore(bytes), options.keySerde, options.valueSerde, {
        maxKeyBytes: backend.maxKeyBytes,
        maxEntries: cacheEntries,
      });
    return new TypedKeyValueStore(new MeteredStore(bytes), options.keySerde, options.valueSerde);
  } catch (error) {
    await backend.close();
    throw error;
  }
}
