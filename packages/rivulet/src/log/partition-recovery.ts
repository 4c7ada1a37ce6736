import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../model/index.ts';
import { fsyncDirectory, writeFileAtomic } from './atomic-file.ts';
import { finishCompactionSwap } from './compaction-swap.ts';
import { ioError } from './io-error.ts';
import type { PartitionConfig } from './partition-config.ts';
import { ProducerStateTable } from './producer-state.ts';
import { parseSegmentName, Segment } from './segment.ts';

export interface RecoveredPartition {
  segments: Segment[];
  logStartOffset: number;
  producers: ProducerStateTable;
  /** Set when a sealed segment is corrupt: the partition opens failed instead of hiding the damage. */
  failure: EngineError | undefined;
}

/**
 * Brings a partition directory to a consistent state and loads it:
 * 1. finishes an interrupted compaction swap (or discards its unfinished output);
 * 2. removes temp files, orphaned index files and segments below the log start offset;
 * 3. trusts sealed segments (valid index files matching the file size), rebuilding a missing index by
 *    scanning; corruption there fails the partition loudly with the offset range;
 * 4. scans the unsealed tail (segments after the last sealed one), keeps the longest valid-CRC prefix,
 *    truncates the rest and deletes any later segment, so offsets stay dense;
 * 5. rebuilds producer state from the last snapshot plus the batches after it.
 */
export function recoverPartition(config: PartitionConfig): RecoveredPartition {
  const dir = config.dir;
  mkdirSync(dir, { recursive: true });
  finishCompactionSwap(dir);
  const bases = new Set<number>();
  const others: Array<{ file: string; base: number }> = [];
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.tmp')) {
      unlinkSync(join(dir, file));
      continue;
    }
    const parsed = parseSegmentName(file);
    if (parsed === undefined) continue;
    if (parsed.ext === 'log') bases.add(parsed.base);
    else others.push({ file, base: parsed.base });
  }
  for (const { file, base } of others) {
    if (!bases.has(base)) unlinkSync(join(dir, file));
  }
  const sorted = [...bases].sort((a, b) => a - b);
  const logStartOffset = readLogStartOffset(dir) ?? 0;
  // Whole segments below the start offset: their successor begins at or before it.
  while (sorted.length > 1 && sorted[1]! <= logStartOffset) {
    const base = sorted.shift()!;
    for (const ext of ['log', 'index', 'timeindex', 'producers'])
      removeIfPresent(join(dir, `${segmentFile(base)}.${ext}`));
  }
  const syncWrites = config.durability.mode === 'fsync';
  const segments = sorted.map((base) => Segment.open(dir, base, config.indexIntervalBytes, syncWrites));
  const producers = new ProducerStateTable();
  let failure: EngineError | undefined;
  let lastSealed = -1;
  for (let i = 0; i < segments.length; i++) if (segments[i]!.sealed) lastSealed = i;

  // Sealed region: segments up to lastSealed must be whole. Rebuild missing indexes.
  for (let i = 0; i < lastSealed; i++) {
    const segment = segments[i]!;
    if (segment.sealed) continue;
    const result = segment.scan(segment.baseOffset, config.maxBatchBytes);
    if (result.invalidTail && failure === undefined) {
      failure = new EngineError(
        'LOG_SEGMENT_CORRUPT',
        `sealed segment ${segment.path()} is corrupt at byte ${result.validSize}: offsets from ${result.nextOffset} up to ${segments[i + 1]!.baseOffset - 1} cannot be read`,
        {
          details: {
            topic: config.topic,
            partition: config.partition,
            segment: segment.baseOffset,
            position: result.validSize,
            fromOffset: result.nextOffset,
            toOffset: segments[i + 1]!.baseOffset - 1,
          },
        },
      );
    }
    segment.adoptScan(result, false);
    const { offsets, times } = segment.indexFiles();
    writeFileAtomic(segment.path('timeindex'), times);
    writeFileAtomic(segment.path('index'), offsets);
    segment.sealed = true;
  }

  // Producer state: the last sealed segment's snapshot, else replay every sealed segment's batch headers.
  const snapshotSegment = lastSealed >= 0 ? segments[lastSealed] : undefined;
  let restored = false;
  if (snapshotSegment !== undefined && existsSync(snapshotSegment.path('producers'))) {
    restored = producers.restore(readFileSync(snapshotSegment.path('producers'), 'utf8'));
  }
  if (!restored) {
    for (let i = 0; i <= lastSealed; i++) {
      const segment = segments[i]!;
      segment.scan(segment.baseOffset, config.maxBatchBytes, (header) => producers.observe(header));
    }
  }

  // Unsealed tail: keep the longest valid prefix.
  let expected = lastSealed >= 0 ? segments[lastSealed]!.nextOffset : logStartOffset;
  let keep = segments.length;
  for (let i = lastSealed + 1; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.baseOffset !== expected && !(i === 0 && segment.baseOffset >= expected)) {
      keep = i;
      break;
    }
    const result = segment.scan(expected, config.maxBatchBytes, (header) => producers.observe(header));
    segment.adoptScan(result, true);
    expected = segment.nextOffset;
    if (result.invalidTail) {
      keep = i + 1;
      break;
    }
  }
  for (const segment of segments.splice(keep)) {
    segment.retire();
    for (const ext of ['log', 'index', 'timeindex', 'producers']) removeIfPresent(segment.path(ext));
  }
  // Every tail segment but the last is complete: a crash (or a full disk) interrupted its seal. Seal it
  // now; retention and compaction stop at the first unsealed segment and would never get past it.
  for (let i = lastSealed + 1; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    const { offsets, times } = segment.indexFiles();
    writeFileAtomic(segment.path('timeindex'), times);
    writeFileAtomic(segment.path('index'), offsets);
    segment.sealed = true;
  }
  const last = segments[segments.length - 1];
  if (last === undefined || last.sealed) {
    const base = last === undefined ? logStartOffset : last.nextOffset;
    segments.push(Segment.create(dir, base, config.indexIntervalBytes, syncWrites));
    fsyncDirectory(dir);
  }
  return { segments, logStartOffset, producers, failure };
}

function segmentFile(base: number): string {
  return String(base).padStart(20, '0');
}

function readLogStartOffset(dir: string): number | undefined {
  const path = join(dir, 'log-start-offset');
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8').trim();
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EngineError('LOG_METADATA_CORRUPT', `${path} holds '${text}', not an offset`, {
      details: { path },
    });
  }
  return value;
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(error, `delete ${path}`);
  }
}
