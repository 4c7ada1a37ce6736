/**
 * Test fixtures shared by the state tests: temp directories, a private log, and the backend kinds every
 * shared case suite runs against.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLog, type Log, type LogOptions } from '../../log/index.ts';
import { isEngineError } from '../../model/index.ts';
import type { Changelog } from '../changelog.ts';
import { ensureChangelogTopic } from '../changelog.ts';
import type { KeyValueBackend } from '../key-value-backend.ts';
import { LmdbBackend } from '../lmdb-backend.ts';
import { MemoryBackend } from '../memory-backend.ts';

export function tempDir(prefix = 'rivulet-state-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A backend implementation under test. `open(dir)` again after close: LMDB finds its data, memory does not. */
export interface BackendKind {
  readonly name: 'memory' | 'lmdb';
  readonly persistent: boolean;
  open(dir: string): KeyValueBackend;
}

export const backendKinds: readonly BackendKind[] = [
  { name: 'memory', persistent: false, open: () => new MemoryBackend() },
  { name: 'lmdb', persistent: true, open: (dir) => LmdbBackend.open({ path: join(dir, 'lmdb') }) },
];

/** Runs `body` with a temp dir that is removed afterwards. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = tempDir();
  try {
    return await body(dir);
  } finally {
    removeDir(dir);
  }
}

/**
 * Runs `body` with a private log in a temp dir, closed and removed after: no background maintenance, and
 * durability `none` (acknowledged after write(): the log's fsync is not under test here, and it is slow).
 */
export async function withLog<T>(
  body: (log: Log, dir: string) => Promise<T>,
  options: Partial<LogOptions> = {},
): Promise<T> {
  return withTempDir(async (dir) => {
    const log = await createLog({
      dataDir: join(dir, 'log'),
      maintenanceInterval: false,
      durability: 'none',
      ...options,
    });
    try {
      return await body(log, dir);
    } finally {
      await log.close();
    }
  });
}

let topics = 0;

/** A fresh compacted changelog topic (partition 0) in `log`. */
export async function newChangelog(log: Log, options: { segmentBytes?: number } = {}): Promise<Changelog> {
  const topic = `test-store${topics++}-changelog`;
  await ensureChangelogTopic(log, topic, { partitions: 1, ...options });
  return { log, topic, partition: 0 };
}

/** Every record of the changelog partition as [key, value] latin1 strings (value null for tombstones). */
export async function changelogRecords(changelog: Changelog): Promise<Array<[string, string | null]>> {
  const { log, topic, partition } = changelog;
  const out: Array<[string, string | null]> = [];
  const p = log.partition(topic, partition);
  let offset = p.logStartOffset;
  while (offset < p.highWatermark) {
    const fetched = await log.fetch(topic, partition, offset);
    for (const r of fetched.records)
      out.push([r.key!.toString('latin1'), r.value?.toString('latin1') ?? null]);
    if (fetched.nextOffset <= offset) break;
    offset = fetched.nextOffset;
  }
  return out;
}

export const hasCode = (code: string) => (error: unknown) => isEngineError(error) && error.code === code;

export const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
export const text = (data: Uint8Array): string => Buffer.from(data).toString('latin1');
