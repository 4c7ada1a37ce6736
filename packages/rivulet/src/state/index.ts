export { compareBytes, prefixUpperBound } from './byte-order.ts';
export type { BytesStore, FlushResult } from './bytes-store.ts';
export { type Changelog, ensureChangelogTopic } from './changelog.ts';
export { createKeyValueStore, type KeyValueStoreOptions } from './create-key-value-store.ts';
export type {
  BackendRangeOptions,
  BackendWrite,
  KeyValueBackend,
  KeyValueEntry,
} from './key-value-backend.ts';
export { KeyValue, type KeyValueStore, type RangeOptions } from './key-value-store.ts';
export { LmdbBackend, type LmdbBackendOptions } from './lmdb-backend.ts';
export { DEFAULT_MAX_KEY_BYTES, MemoryBackend, type MemoryBackendOptions } from './memory-backend.ts';
export type { StoreMetrics } from './metered-store.ts';
export { restoreFromChangelog } from './restore-from-changelog.ts';
export type { RestoreOptions, RestoreProgress, RestoreResult } from './restore-result.ts';
export { decodeStorePosition, encodeStorePosition, type StorePosition } from './store-position.ts';
