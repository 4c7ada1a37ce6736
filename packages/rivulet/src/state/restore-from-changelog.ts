import type { FetchResult } from '../log/index.ts';
import { EngineError, isEngineError } from '../model/index.ts';
import type { Changelog } from './changelog.ts';
import type { BackendWrite, KeyValueBackend } from './key-value-backend.ts';
import type { RestoreOptions, RestoreResult } from './restore-result.ts';
import { decodeStorePosition, encodeStorePosition } from './store-position.ts';

const DEFAULT_FETCH_BYTES = 1024 * 1024;

function restoreFailed(store: string, changelog: Changelog, message: string, cause?: unknown): EngineError {
  return new EngineError(
    'STATE_RESTORE_FAILED',
    `cannot restore store ${store} from ${changelog.topic}/${changelog.partition}: ${message}`,
    { cause, details: { store, topic: changelog.topic, partition: changelog.partition } },
  );
}

/**
 * Brings `backend` to exactly the state of `changelog` below `options.upToOffset`, choosing by the
 * position in the backend's meta value (store-position.ts):
 * - equal to `upToOffset`: nothing to do (`snapshot`);
 * - lower, and not below the changelog's start: replay from it (`incremental`);
 * - otherwise (none, unreadable, another changelog, ahead of `upToOffset`, or below the changelog's
 *   start): clear the backend and replay from the changelog's start (`full`).
 * Replay fetches a batch, applies its records in offset order (a tombstone deletes) together with the
 * position reached, then reports progress; so a restore interrupted at any point leaves a backend whose
 * meta position is exact, and the next restore resumes from it.
 *
 * Fails with STATE_RESTORE_FAILED when the changelog cannot hold the state asked for (`upToOffset` past
 * its end or before its start) or cannot be read. Correctness also needs what compaction keeps: records
 * below `upToOffset` superseded only by records at or past it must not have been compacted away, and a
 * snapshot must not lag behind a tombstone that compaction has since dropped (tombstoneRetention).
 */
export async function restoreFromChangelog(
  store: string,
  backend: KeyValueBackend,
  changelog: Changelog,
  options: RestoreOptions,
): Promise<Omit<RestoreResult, 'tailKeys'>> {
  const { upToOffset } = options;
  if (!Number.isSafeInteger(upToOffset) || upToOffset < 0) {
    throw new EngineError('INVALID_ARGUMENT', `upToOffset must be an offset >= 0, got ${upToOffset}`);
  }
  const { log, topic, partition } = changelog;
  let logStart: number;
  let highWatermark: number;
  try {
    const p = log.partition(topic, partition);
    logStart = p.logStartOffset;
    highWatermark = p.highWatermark;
  } catch (error) {
    throw restoreFailed(store, changelog, 'the changelog partition cannot be opened', error);
  }
  if (upToOffset > highWatermark) {
    throw restoreFailed(
      store,
      changelog,
      `the checkpoint needs offsets up to ${upToOffset} but the changelog ends at ${highWatermark}`,
    );
  }
  if (upToOffset > 0 && upToOffset < logStart) {
    throw restoreFailed(
      store,
      changelog,
      `the checkpoint offset ${upToOffset} is below the changelog's start ${logStart}`,
    );
  }

  const stored = decodeStorePosition(backend.meta());
  const own = stored !== undefined && stored.topic === topic && stored.partition === partition;
  const at = own ? stored.offset : undefined;
  if (at === upToOffset) {
    return { mode: 'snapshot', recordsReplayed: 0, startOffset: upToOffset, upToOffset };
  }
  const mode = at !== undefined && at < upToOffset && at >= logStart ? 'incremental' : 'full';
  const startOffset = mode === 'incremental' ? at! : Math.min(logStart, upToOffset);
  if (mode === 'full') backend.clear();

  const fetchBytes = options.fetchBytes ?? DEFAULT_FETCH_BYTES;
  let offset = startOffset;
  let recordsReplayed = 0;
  if (offset >= upToOffset) {
    backend.apply([], encodeStorePosition({ topic, partition, offset: upToOffset }));
  }
  while (offset < upToOffset) {
    let fetched: FetchResult;
    try {
      // Uncommitted isolation: the checkpoint being restored covers these offsets even when the log's
      // committed offset has not been moved (the engine sets it after the checkpoint is durable).
      fetched = await log.fetch(topic, partition, offset, fetchBytes, 'uncommitted');
    } catch (error) {
      throw restoreFailed(store, changelog, `reading offset ${offset} failed`, error);
    }
    const writes: BackendWrite[] = [];
    for (const record of fetched.records) {
      if (record.offset >= upToOffset) break;
      if (record.key === null) {
        throw restoreFailed(store, changelog, `the record at offset ${record.offset} has no key`);
      }
      writes.push({ key: record.key, value: record.value });
    }
    const next = Math.min(fetched.nextOffset, upToOffset);
    if (next <= offset) {
      throw restoreFailed(store, changelog, `the changelog made no progress at offset ${offset}`);
    }
    try {
      backend.apply(writes, encodeStorePosition({ topic, partition, offset: next }));
    } catch (error) {
      if (isEngineError(error)) throw error;
      throw restoreFailed(store, changelog, 'applying a batch failed', error);
    }
    recordsReplayed += writes.length;
    offset = next;
    options.onProgress?.({ store, recordsReplayed, offset, startOffset, upToOffset });
  }
  return { mode, recordsReplayed, startOffset, upToOffset };
}
