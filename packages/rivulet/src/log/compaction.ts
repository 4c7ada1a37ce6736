import { existsSync, readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { failpoint } from '../model/index.ts';
import { writeFileAtomicAsync } from './atomic-file.ts';
import { commitCompactionSwap } from './compaction-swap.ts';
import { ioError } from './io-error.ts';
import type { LogRecord } from './log-record.ts';
import type { Partition } from './partition.ts';
import { type EncodableRecord, encodeBatch } from './record-batch.ts';
import { Segment, segmentName } from './segment.ts';
import { SparseIndex } from './sparse-index.ts';

export interface CompactionResult {
  segmentsBefore: number;
  segmentsAfter: number;
  recordsKept: number;
  recordsRemoved: number;
}

const BATCH_RECORDS = 1000;
const BATCH_BYTES = 256 * 1024;

/**
 * Compacts the sealed, committed segments of a compacted topic's partition: keeps, per key, only the
 * record with the highest committed offset in the partition (sealed and active), and drops a tombstone once its timestamp is
 * older than `tombstoneRetentionMs`. Offsets are preserved (the log gets gaps). The cleaned segments are
 * written beside the old ones and swapped in atomically (compaction-swap.ts). Serialised with retention.
 */
export function compactPartition(partition: Partition, now: number): Promise<CompactionResult> {
  return partition.serialiseMaintenance(() => compact(partition, now));
}

async function compact(partition: Partition, now: number): Promise<CompactionResult> {
  const config = partition.config;
  // Only what is committed may be compacted: the engine can roll a partition back to its last checkpoint,
  // and a record superseded only by an uncommitted one must survive that.
  const committed = partition.committedOffset;
  const sources: Segment[] = [];
  for (const segment of partition.segments) {
    if (!segment.sealed || segment === partition.activeSegment || segment.nextOffset > committed) break;
    sources.push(segment);
  }
  const result: CompactionResult = {
    segmentsBefore: sources.length,
    segmentsAfter: sources.length,
    recordsKept: 0,
    recordsRemoved: 0,
  };
  if (sources.length === 0) return result;

  const latest = new Map<string, number>();
  await forEachRecord(partition, partition.logStartOffset, committed, (record) => {
    latest.set(record.key!.toString('latin1'), record.offset);
  });

  const tombstoneHorizon = now - config.tombstoneRetentionMs;
  const created: Segment[] = [];
  const createdBases: number[] = [];
  let output: CleanedSegmentWriter | undefined;
  for (const source of sources) {
    if (output !== undefined && output.size >= config.segmentBytes) {
      await output.finish(createdBases);
      output = undefined;
    }
    output ??= await CleanedSegmentWriter.open(
      config.dir,
      source.baseOffset,
      config.indexIntervalBytes,
      config.codec,
    );
    await forEachRecord(
      partition,
      Math.max(source.baseOffset, partition.logStartOffset),
      source.nextOffset,
      async (record) => {
        const keep =
          latest.get(record.key!.toString('latin1')) === record.offset &&
          !(record.value === null && record.timestamp < tombstoneHorizon);
        if (keep) {
          result.recordsKept++;
          await output!.add(record);
        } else result.recordsRemoved++;
      },
    );
    output.endOfSource(source);
  }
  // The last cleaned segment is kept even when empty: it carries the producer snapshot that idempotent
  // retries are recognised by after a restart.
  if (output !== undefined) await output.finish(createdBases, true);
  failpoint('log.compaction.before-manifest');
  commitCompactionSwap(config.dir, { replaced: sources.map((s) => s.baseOffset), created: createdBases });
  for (const base of createdBases) created.push(Segment.open(config.dir, base, config.indexIntervalBytes));
  partition.replaceSegments(sources, created);
  result.segmentsAfter = created.length;
  return result;
}

/** Calls `visit` for every record in [from, to), in offset order. */
async function forEachRecord(
  partition: Partition,
  from: number,
  to: number,
  visit: (record: LogRecord) => void | Promise<void>,
): Promise<void> {
  let offset = from;
  while (offset < to) {
    const fetched = await partition.fetch(offset);
    if (fetched.records.length === 0) break;
    for (const record of fetched.records) {
      if (record.offset >= to) return;
      await visit(record);
    }
    offset = fetched.nextOffset;
  }
}

/** Writes one cleaned segment `<base>.log.cleaned` with its index files; nothing is visible until the swap. */
class CleanedSegmentWriter {
  readonly #index: SparseIndex;
  #pending: EncodableRecord[] = [];
  #pendingOffsets: number[] = [];
  #pendingBytes = 0;
  size = 0;
  #nextOffset: number;
  #maxTimestamp = Number.NEGATIVE_INFINITY;
  #lastSource: Segment | undefined;

  private constructor(
    readonly dir: string,
    readonly base: number,
    readonly handle: fsp.FileHandle,
    indexIntervalBytes: number,
    readonly codec: number,
  ) {
    this.#index = new SparseIndex(indexIntervalBytes);
    this.#nextOffset = base;
  }

  static async open(
    dir: string,
    base: number,
    indexIntervalBytes: number,
    codec: number,
  ): Promise<CleanedSegmentWriter> {
    try {
      const handle = await fsp.open(join(dir, `${segmentName(base)}.log.cleaned`), 'w');
      return new CleanedSegmentWriter(dir, base, handle, indexIntervalBytes, codec);
    } catch (error) {
      throw ioError(error, `create cleaned segment in ${dir}`);
    }
  }

  async add(record: LogRecord): Promise<void> {
    const bytes = record.valueSize + (record.key?.length ?? 0) + 64;
    if (this.#pending.length > 0 && this.#pendingBytes + bytes > BATCH_BYTES) await this.#flush();
    this.#pending.push({
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp,
    });
    this.#pendingOffsets.push(record.offset);
    this.#pendingBytes += bytes;
    if (this.#pending.length >= BATCH_RECORDS) await this.#flush();
  }

  endOfSource(source: Segment): void {
    this.#lastSource = source;
    this.#nextOffset = source.nextOffset;
  }

  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const base = this.#pendingOffsets[0]!;
    const batch = encodeBatch(this.#pending, 0, this.#pending.length, {
      baseOffset: base,
      codec: this.codec,
      offsetDeltas: this.#pendingOffsets.map((offset) => offset - base),
    });
    let maxTimestamp = Number.NEGATIVE_INFINITY;
    for (const record of this.#pending) if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp;
    await this.handle.write(batch, 0, batch.length, this.size);
    this.#index.add(base - this.base, this.size, batch.length, maxTimestamp);
    if (maxTimestamp > this.#maxTimestamp) this.#maxTimestamp = maxTimestamp;
    this.size += batch.length;
    this.#pending = [];
    this.#pendingOffsets = [];
    this.#pendingBytes = 0;
  }

  /** Flushes, fsyncs and writes the index files; adds the base to `created` unless empty and not kept. */
  async finish(created: number[], keepEmpty = false): Promise<void> {
    await this.#flush();
    await this.handle.datasync();
    await this.handle.close();
    const name = join(this.dir, segmentName(this.base));
    if (this.size === 0 && !keepEmpty) {
      await fsp.unlink(`${name}.log.cleaned`);
      return;
    }
    const producers = this.#lastSource?.path('producers');
    if (producers !== undefined && existsSync(producers)) {
      await writeFileAtomicAsync(`${name}.producers.cleaned`, readFileSync(producers));
    }
    await writeFileAtomicAsync(`${name}.timeindex.cleaned`, this.#index.encodeTimes());
    await writeFileAtomicAsync(
      `${name}.index.cleaned`,
      this.#index.encodeOffsets({
        nextOffset: this.#nextOffset,
        // An empty kept segment takes its source's max timestamp (time lookups skip it either way).
        maxTimestamp: this.size === 0 ? (this.#lastSource?.maxTimestamp ?? 0) : this.#maxTimestamp,
        size: this.size,
      }),
    );
    created.push(this.base);
  }
}
