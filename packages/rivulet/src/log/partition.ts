import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BucketHistogram, DURATION_BUCKETS_MS, EngineError, failpoint } from '../model/index.ts';
import { fsyncDirectory, writeFileAtomic, writeFileAtomicAsync } from './atomic-file.ts';
import type { AppendResult, FetchResult } from './fetch-result.ts';
import { ioError } from './io-error.ts';
import type { LogRecord } from './log-record.ts';
import type { PartitionConfig } from './partition-config.ts';
import { recoverPartition } from './partition-recovery.ts';
import type { PartitionStats } from './partition-stats.ts';
import type { ProducerStateTable, ProducerUndo } from './producer-state.ts';
import {
  BATCH_HEADER_BYTES,
  type BatchProducer,
  batchBaseOffset,
  batchLastOffset,
  checkBatch,
  decodeBatchRecords,
  type EncodableRecord,
  encodeBatch,
  recordSize,
} from './record-batch.ts';
import { Segment } from './segment.ts';

interface PendingAppend {
  records: readonly EncodableRecord[];
  /** Chunk boundaries: chunk i is records[bounds[i], bounds[i + 1]). */
  bounds: number[];
  producer: BatchProducer | undefined;
  bytes: number;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** Largest group of appends written (and fsynced) together. */
const MAX_GROUP_BYTES = 16 * 1024 * 1024;
const DEFAULT_FETCH_BYTES = 1024 * 1024;
/** Size of a reusable write buffer; a group's batches are encoded into one while it has room. */
const WRITE_BUFFER_BYTES = 1024 * 1024;
/**
 * Write buffers not in use, shared by all partitions (a group holds one from encoding until its write
 * completes; nothing keeps the encoded bytes after that). At most 4 are kept, so at most 4 MiB idle.
 */
const spareWriteBuffers: Buffer[] = [];

/** Hands out consecutive slices of a write buffer, then fresh buffers once it is full. */
class WriteBufferSlicer {
  readonly buffer = spareWriteBuffers.pop() ?? Buffer.allocUnsafeSlow(WRITE_BUFFER_BYTES);
  #used = 0;
  readonly allocate = (size: number): Buffer => {
    if (this.#used + size > this.buffer.length) return Buffer.allocUnsafe(size);
    const slice = this.buffer.subarray(this.#used, this.#used + size);
    this.#used += size;
    return slice;
  };
  release(): void {
    if (spareWriteBuffers.length < 4) spareWriteBuffers.push(this.buffer);
  }
}

/**
 * One partition of a topic: an ordered list of segments, the last one active. Appends are queued and
 * written by a single writer in groups: each group is one positional writev and (under `fsync`) one
 * fdatasync, after which every append in it is acknowledged and becomes readable. Offsets are assigned
 * when a group is formed, so a failed write (disk full) rejects its appends without leaving a gap.
 * Reads run concurrently with the writer and see only acknowledged data.
 */
export class Partition {
  readonly config: PartitionConfig;
  readonly segments: Segment[];
  #producers: ProducerStateTable;
  #active: Segment;
  #logStartOffset: number;
  #nextOffset: number;
  #highWatermark: number;
  #pending: PendingAppend[] = [];
  #writing = false;
  #drainRun: Promise<void> = Promise.resolve();
  #sealing: Promise<void> = Promise.resolve();
  #intervalSync: NodeJS.Timeout | undefined;
  #maintenance: Promise<unknown> = Promise.resolve();
  #failure: EngineError | undefined;
  #committedOffset: number | undefined;
  #closed = false;
  #dataArrived: { promise: Promise<void>; resolve: () => void };
  /** Counted when appends are acknowledged, and when syncs finish (stats()). */
  #appendedRecords = 0;
  #appendedBytes = 0;
  readonly #syncs = new BucketHistogram(DURATION_BUCKETS_MS);

  private constructor(config: PartitionConfig) {
    this.config = config;
    const recovered = recoverPartition(config);
    this.segments = recovered.segments;
    this.#producers = recovered.producers;
    this.#logStartOffset = recovered.logStartOffset;
    this.#failure = recovered.failure;
    this.#active = this.segments[this.segments.length - 1]!;
    this.#nextOffset = this.#active.nextOffset;
    this.#highWatermark = this.#nextOffset;
    this.#dataArrived = deferred();
  }

  /** Opens (recovering if needed) the partition in `config.dir`. Synchronous. */
  static open(config: PartitionConfig): Partition {
    return new Partition(config);
  }

  get logStartOffset(): number {
    return this.#logStartOffset;
  }

  /** Offsets below this are readable. */
  get highWatermark(): number {
    return this.#highWatermark;
  }

  /**
   * The end of committed data: offsets below it are readable by read-committed readers. The engine moves
   * it at each checkpoint for the partitions it writes; for every other partition it is the high
   * watermark.
   */
  get committedOffset(): number {
    return this.#committedOffset === undefined
      ? this.#highWatermark
      : Math.min(this.#committedOffset, this.#highWatermark);
  }

  /** Sets the committed offset (the engine, after a checkpoint). Never above the high watermark. */
  setCommittedOffset(offset: number): void {
    this.#committedOffset = Math.min(offset, this.#highWatermark);
    this.#notifyReaders();
  }

  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.size;
    return total;
  }

  /** Size, ends and write counters since the partition was opened. */
  stats(): PartitionStats {
    return {
      topic: this.config.topic,
      partition: this.config.partition,
      internal: this.config.topic.startsWith('__'),
      sizeBytes: this.sizeBytes,
      logStartOffset: this.#logStartOffset,
      highWatermark: this.#highWatermark,
      appendedRecords: this.#appendedRecords,
      appendedBytes: this.#appendedBytes,
      syncs: this.#syncs.snapshot(),
    };
  }

  /** fdatasyncs `segment`, counting the sync and its duration once it succeeded. */
  async #sync(segment: Segment): Promise<void> {
    const started = performance.now();
    await segment.sync();
    this.#syncs.observe(performance.now() - started);
  }

  /** The reason this partition refuses work, if it does. */
  get failure(): EngineError | undefined {
    return this.#failure;
  }

  #check(): void {
    if (this.#failure !== undefined) {
      throw new EngineError(
        'PARTITION_FAILED',
        `partition ${this.#name()} failed: ${this.#failure.message}`,
        {
          cause: this.#failure,
          details: { topic: this.config.topic, partition: this.config.partition, reason: this.#failure.code },
        },
      );
    }
    if (this.#closed) throw new EngineError('LOG_CLOSED', `partition ${this.#name()} is closed`);
  }

  #name(): string {
    return `${this.config.topic}/${this.config.partition}`;
  }

  /**
   * Appends records as one or more batches (split at `maxBatchBytes`). Resolves once acknowledged under
   * the partition's durability with the offsets given; an idempotent retry resolves with the original
   * offsets. Rejects with RECORD_TOO_LARGE / INVALID_RECORD before queueing, LOG_DISK_FULL (retryable)
   * when the disk is full, PARTITION_FAILED after an fsync error.
   */
  append(records: readonly EncodableRecord[], producer?: BatchProducer): Promise<AppendResult> {
    try {
      this.#check();
      if (records.length === 0) throw new EngineError('INVALID_ARGUMENT', 'append needs at least one record');
      const bounds = [0];
      let chunkBytes = 0;
      let total = 0;
      for (let i = 0; i < records.length; i++) {
        const record = records[i]!;
        if (!Number.isSafeInteger(record.timestamp)) {
          throw new EngineError(
            'INVALID_RECORD',
            `record ${i} has an invalid timestamp ${record.timestamp}`,
            {
              details: { topic: this.config.topic, index: i },
            },
          );
        }
        if (this.config.cleanup === 'compact' && record.key === null) {
          throw new EngineError(
            'INVALID_RECORD',
            `topic ${this.config.topic} is compacted: every record needs a key`,
            {
              details: { topic: this.config.topic, index: i },
            },
          );
        }
        const size = recordSize(record, 0, 0) + 20;
        if (size > this.config.maxRecordBytes) {
          throw new EngineError(
            'RECORD_TOO_LARGE',
            `record ${i} is ${size} bytes, over the limit of ${this.config.maxRecordBytes} for ${this.#name()}`,
            { details: { topic: this.config.topic, index: i, size, limit: this.config.maxRecordBytes } },
          );
        }
        if (
          chunkBytes + size > this.config.maxBatchBytes - BATCH_HEADER_BYTES &&
          i > bounds[bounds.length - 1]!
        ) {
          bounds.push(i);
          chunkBytes = 0;
        }
        chunkBytes += size;
        total += size;
      }
      bounds.push(records.length);
      return new Promise((resolve, reject) => {
        this.#pending.push({ records, bounds, producer, bytes: total, resolve, reject });
        if (!this.#writing) {
          // Start the writer once this turn's microtasks have run, so every append made in this turn
          // (e.g. by all the producers the previous group's acknowledgements woke) joins the first group.
          this.#writing = true;
          const started = new Promise<void>((resolve) => process.nextTick(resolve));
          this.#drainRun = started.then(() => this.#drain());
        }
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending.length > 0) {
        if (this.#failure !== undefined) {
          this.#rejectAll(this.#pending.splice(0), this.#failure);
          break;
        }
        await this.#writeGroup();
      }
    } finally {
      this.#writing = false;
    }
  }

  async #writeGroup(): Promise<void> {
    let count = 0;
    let bytes = 0;
    while (
      count < this.#pending.length &&
      (count === 0 || bytes + this.#pending[count]!.bytes <= MAX_GROUP_BYTES)
    ) {
      bytes += this.#pending[count]!.bytes;
      count++;
    }
    const group = this.#pending.splice(0, count);
    try {
      if (this.#active.size >= this.config.segmentBytes) this.#roll();
    } catch (error) {
      // A full disk while creating the next segment changes nothing (the active segment stays); the
      // appends are refused as retryable and the roll is tried again with the next group.
      const failure = ioError(error, `roll segment of ${this.#name()}`);
      if (failure.code !== 'LOG_DISK_FULL') this.#fail(failure);
      this.#rejectAll(group, failure);
      return;
    }
    const segment = this.#active;
    const startSize = segment.size;
    const slicer = new WriteBufferSlicer();
    try {
      await this.#encodeAndWrite(group, segment, startSize, slicer.allocate);
    } finally {
      slicer.release();
    }
  }

  /** Encodes the group's batches with `allocate`, writes them, syncs as the durability says and answers. */
  async #encodeAndWrite(
    group: PendingAppend[],
    segment: Segment,
    startSize: number,
    allocate: (size: number) => Buffer,
  ): Promise<void> {
    const buffers: Buffer[] = [];
    const results: Array<AppendResult | EngineError> = [];
    const undo: ProducerUndo = [];
    let next = this.#nextOffset;
    let byteLength = 0;
    for (const append of group) {
      try {
        let result: AppendResult | undefined;
        let allDuplicate = true;
        for (let c = 0; c + 1 < append.bounds.length; c++) {
          const from = append.bounds[c]!;
          const to = append.bounds[c + 1]!;
          const producer = append.producer;
          let batchProducer: BatchProducer | undefined;
          let baseOffset = next;
          let lastOffset = next + (to - from) - 1;
          if (producer !== undefined) {
            const baseSequence = producer.baseSequence + from;
            const verdict = this.#producers.check(
              producer.producerId,
              producer.producerEpoch,
              baseSequence,
              to - from,
            );
            if (verdict.kind === 'duplicate') {
              baseOffset = verdict.baseOffset;
              lastOffset = verdict.lastOffset;
            } else {
              batchProducer = {
                producerId: producer.producerId,
                producerEpoch: producer.producerEpoch,
                baseSequence,
              };
              this.#producers.record(
                producer.producerId,
                producer.producerEpoch,
                baseSequence,
                to - from,
                baseOffset,
                lastOffset,
                undo,
              );
            }
            if (verdict.kind === 'append') allDuplicate = false;
            if (verdict.kind === 'duplicate') {
              result =
                result === undefined
                  ? { baseOffset, lastOffset, duplicate: true }
                  : { ...result, lastOffset };
              continue;
            }
          } else allDuplicate = false;
          const batch = encodeBatch(append.records, from, to, {
            baseOffset,
            producer: batchProducer,
            codec: this.config.codec,
            allocate,
          });
          buffers.push(batch);
          byteLength += batch.length;
          next = lastOffset + 1;
          result =
            result === undefined ? { baseOffset, lastOffset, duplicate: false } : { ...result, lastOffset };
        }
        results.push({ ...result!, duplicate: allDuplicate });
      } catch (error) {
        results.push(error as EngineError);
      }
    }
    if (buffers.length > 0) {
      const writeStarted = performance.now();
      try {
        failpoint('log.append.before-write');
        await segment.write(buffers, byteLength);
      } catch (error) {
        this.#producers.undo(undo);
        try {
          segment.truncateTo(startSize);
        } catch (truncateError) {
          this.#fail(ioError(truncateError, `truncate ${this.#name()} after a failed write`));
        }
        const failure = ioError(error, `append to ${this.#name()}`, this.#details());
        // With O_DSYNC an I/O error on write is a failed sync: as fatal as a failed fdatasync.
        if (segment.syncWrites && failure.code === 'LOG_IO_ERROR') this.#fail(failure);
        this.#rejectAll(group, failure);
        return;
      }
      segment.noteWritten(buffers);
      const firstOffset = this.#nextOffset;
      this.#nextOffset = next;
      failpoint('log.append.after-write');
      const durability = this.config.durability;
      if (durability.mode === 'fsync') {
        try {
          // An O_DSYNC segment's write returned only once durable (it counts as the sync); otherwise
          // fdatasync now.
          if (segment.syncWrites) this.#syncs.observe(performance.now() - writeStarted);
          else await this.#sync(segment);
        } catch (error) {
          this.#fail(
            new EngineError('LOG_FSYNC_FAILED', `fdatasync of ${segment.path()} failed`, {
              cause: error,
              details: this.#details(),
            }),
          );
          this.#rejectAll(group, this.#failure!);
          return;
        }
        failpoint('log.append.after-sync');
      } else if (durability.mode === 'interval' && this.#intervalSync === undefined) {
        this.#intervalSync = setTimeout(() => this.#syncInterval(), durability.intervalMs);
      }
      segment.readableSize = segment.size;
      this.#highWatermark = next;
      this.#appendedRecords += next - firstOffset;
      this.#appendedBytes += byteLength;
      this.#notifyReaders();
    }
    for (let i = 0; i < group.length; i++) {
      const result = results[i]!;
      if (result instanceof Error) group[i]!.reject(result);
      else group[i]!.resolve(result);
    }
  }

  #syncInterval(): void {
    this.#intervalSync = undefined;
    const segment = this.#active;
    this.#sync(segment).catch((error) => {
      this.#fail(
        new EngineError('LOG_FSYNC_FAILED', `fdatasync of ${segment.path()} failed`, {
          cause: error,
          details: this.#details(),
        }),
      );
    });
  }

  #details(): Record<string, unknown> {
    return { topic: this.config.topic, partition: this.config.partition };
  }

  #rejectAll(group: PendingAppend[], error: EngineError): void {
    for (const append of group) append.reject(error);
  }

  /** An fsync error or an inconsistent file: the partition takes no more work until reopened. */
  #fail(error: EngineError): void {
    if (this.#failure === undefined) this.#failure = error;
  }

  /**
   * Starts a new active segment at the next offset and seals the old one in the background: fdatasync
   * (unless every write was already synced), then its index files, the `.index` last as the seal mark.
   */
  #roll(): void {
    const old = this.#active;
    failpoint('log.roll.before-create');
    const next = Segment.create(
      this.config.dir,
      this.#nextOffset,
      this.config.indexIntervalBytes,
      this.config.durability.mode === 'fsync',
    );
    try {
      fsyncDirectory(this.config.dir);
    } catch (error) {
      next.retire();
      deleteSegmentFiles(next);
      throw error;
    }
    this.segments.push(next);
    this.#active = next;
    const producers = this.#producers.snapshot();
    const needsSync = this.config.durability.mode !== 'fsync';
    this.#sealing = this.#sealing
      .then(async () => {
        if (needsSync) await this.#sync(old);
        failpoint('log.roll.before-seal');
        const { offsets, times } = old.indexFiles();
        await writeFileAtomicAsync(old.path('producers'), producers);
        await writeFileAtomicAsync(old.path('timeindex'), times);
        await writeFileAtomicAsync(old.path('index'), offsets, 'log.roll.index');
        old.sealed = true;
      })
      .catch((error) => {
        // A full disk leaves the segment unsealed: its data is complete and synced, and recovery rebuilds
        // the index files by scanning. Failing the partition would turn a retryable LOG_DISK_FULL into a
        // permanent PARTITION_FAILED for reads and appends until the log is reopened.
        const failure = ioError(error, `seal segment ${old.path()}`);
        if (failure.code !== 'LOG_DISK_FULL') this.#fail(failure);
      });
  }

  /** Rolls the active segment now if it holds data (tests and maintenance). */
  async roll(): Promise<void> {
    this.#check();
    await this.#drainRun;
    if (this.#active.size > 0) this.#roll();
    await this.#sealing;
  }

  #segmentFor(offset: number): Segment | undefined {
    const segments = this.segments;
    let lo = 0;
    let hi = segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return segments[Math.max(found, 0)];
  }

  #nextSegmentAfter(segment: Segment): Segment | undefined {
    const i = this.segments.indexOf(segment);
    return i < 0 ? this.#segmentFor(segment.baseOffset) : this.segments[i + 1];
  }

  /**
   * Reads records from `offset` on, about `maxBytes` of batches (at least one batch). Offsets past a gap
   * (compaction, retention) are skipped. Throws OFFSET_OUT_OF_RANGE outside [logStartOffset,
   * highWatermark] and LOG_SEGMENT_CORRUPT, with the offset range, for a batch that fails its checks.
   * `isolation: 'committed'` (what consumers use) stops at the committed offset: records the engine wrote
   * after its last checkpoint stay invisible until the next one.
   */
  async fetch(
    offset: number,
    maxBytes = DEFAULT_FETCH_BYTES,
    isolation: 'committed' | 'uncommitted' = 'uncommitted',
  ): Promise<FetchResult> {
    const records: LogRecord[] = [];
    const scan = await this.#scan(offset, maxBytes, isolation, (buf, p, _size, current) => {
      decodeBatchRecords(buf, p, current, records);
      return records.length;
    });
    const highWatermark = scan.highWatermark;
    // A committed reader's bound can fall inside what was read; drop what lies past it.
    while (records.length > 0 && records[records.length - 1]!.offset >= highWatermark) records.pop();
    const nextOffset =
      records.length > 0 ? records[records.length - 1]!.offset + 1 : Math.max(scan.current, offset);
    return {
      records,
      nextOffset: Math.min(nextOffset, highWatermark),
      highWatermark,
      logStartOffset: this.#logStartOffset,
    };
  }

  /**
   * Like `fetch`, but hands out the checked batches themselves, copied into one buffer, without decoding
   * a record: what a reader in another thread decodes itself (`decodeBatchRecords` from `offset` on,
   * keeping records below `highWatermark`). `nextOffset` is where the next call starts.
   */
  async fetchBatches(
    offset: number,
    maxBytes = DEFAULT_FETCH_BYTES,
    isolation: 'committed' | 'uncommitted' = 'uncommitted',
  ): Promise<{ batches: Buffer; nextOffset: number; highWatermark: number; logStartOffset: number }> {
    const slices: Buffer[] = [];
    let last = -1;
    const scan = await this.#scan(offset, maxBytes, isolation, (buf, p, size, _current, lastOffset) => {
      slices.push(buf.subarray(p, p + size));
      last = lastOffset;
      return slices.length;
    });
    const highWatermark = scan.highWatermark;
    const nextOffset = slices.length > 0 ? last + 1 : Math.max(scan.current, offset);
    let total = 0;
    for (const slice of slices) total += slice.length;
    const batches = Buffer.allocUnsafeSlow(total);
    let at = 0;
    for (const slice of slices) at += slice.copy(batches, at);
    return {
      batches,
      nextOffset: Math.min(nextOffset, highWatermark),
      highWatermark,
      logStartOffset: this.#logStartOffset,
    };
  }

  /**
   * Walks the checked batches from `offset` on, handing each one that holds offsets >= the current
   * position to `take`, which returns how many items it has collected so far; stops after about
   * `maxBytes` once something was taken. Returns the read bound and the position reached.
   */
  async #scan(
    offset: number,
    maxBytes: number,
    isolation: 'committed' | 'uncommitted',
    take: (buf: Buffer, p: number, size: number, current: number, lastOffset: number) => number,
  ): Promise<{ highWatermark: number; current: number }> {
    this.#check();
    if (!Number.isSafeInteger(offset) || offset < this.#logStartOffset || offset > this.#highWatermark) {
      throw new EngineError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} is outside ${this.#name()}'s range [${this.#logStartOffset}, ${this.#highWatermark}]`,
        {
          details: {
            ...this.#details(),
            offset,
            logStartOffset: this.#logStartOffset,
            highWatermark: this.#highWatermark,
          },
        },
      );
    }
    let taken = 0;
    const highWatermark = isolation === 'committed' ? this.committedOffset : this.#highWatermark;
    let current = offset;
    let segment = this.#segmentFor(current);
    while (taken === 0 && current < highWatermark && segment !== undefined) {
      if (segment.retired) {
        segment = this.#segmentFor(current);
        continue;
      }
      segment.acquire();
      let exhausted = false;
      try {
        const entry = segment.index.entryAtOrBefore(current - segment.baseOffset);
        let position = entry.position;
        // The first offset the batch at `position` may hold, for reporting a corrupt range.
        let expected = segment.baseOffset + entry.relativeOffset;
        scan: while (taken === 0 && position < segment.readableSize) {
          let buf = await segment.read(position, maxBytes);
          let p = 0;
          while (p < buf.length) {
            const check = checkBatch(buf, p, buf.length, this.config.maxBatchBytes);
            if (check === 'incomplete') {
              if (p > 0) break;
              const need = buf.length >= 4 ? buf.readUInt32BE(0) + 4 : 0;
              if (need <= buf.length || position + need > segment.readableSize) {
                if (taken > 0) break scan;
                throw this.#corrupt(segment, position, expected);
              }
              buf = await segment.read(position, need);
              continue;
            }
            if (check === 'invalid') {
              // Hand out what was read before the damage; the next fetch starts at it and fails.
              if (taken > 0) break scan;
              throw this.#corrupt(segment, position + p, expected);
            }
            const size = buf.readUInt32BE(p) + 4;
            const lastOffset = batchLastOffset(buf, p);
            if (lastOffset >= current) taken = take(buf, p, size, current, lastOffset);
            expected = lastOffset + 1;
            p += size;
            if (taken > 0 && p >= maxBytes) break;
          }
          position += p;
        }
        exhausted = taken === 0;
      } finally {
        segment.release();
      }
      if (exhausted) {
        const next = this.#nextSegmentAfter(segment);
        if (next === undefined || next === segment) break;
        current = Math.max(current, next.baseOffset);
        segment = next;
      }
    }
    return { highWatermark, current };
  }

  /** The error for a bad batch at `position`; its range runs from `fromOffset` to the next index entry. */
  #corrupt(segment: Segment, position: number, fromOffset: number): EngineError {
    const index = segment.index;
    let toOffset = segment.nextOffset - 1;
    for (let i = 0; i < index.positions.length; i++) {
      if (index.positions[i]! > position) {
        toOffset = segment.baseOffset + index.offsets[i]! - 1;
        break;
      }
    }
    return new EngineError(
      'LOG_SEGMENT_CORRUPT',
      `corrupt data in ${segment.path()} at byte ${position}: offsets ${fromOffset}..${toOffset} of ${this.#name()} cannot be read`,
      { details: { ...this.#details(), segment: segment.baseOffset, position, fromOffset, toOffset } },
    );
  }

  /** The first offset whose record timestamp is >= `timestamp`, or null when there is none yet. */
  async offsetForTimestamp(timestamp: number): Promise<number | null> {
    this.#check();
    for (const segment of this.segments.slice()) {
      if (segment.maxTimestamp < timestamp || segment.readableSize === 0) continue;
      let current = Math.max(
        segment.baseOffset + segment.index.offsetForTimestamp(timestamp),
        this.#logStartOffset,
      );
      while (current < Math.min(segment.nextOffset, this.#highWatermark)) {
        const result = await this.fetch(current);
        if (result.records.length === 0) break;
        for (const record of result.records) if (record.timestamp >= timestamp) return record.offset;
        current = result.nextOffset;
      }
    }
    return null;
  }

  /**
   * Resolves true once the readable end (the high watermark, or the committed offset for a committed
   * reader) is past `offset`; false after `timeoutMs` or when `signal` aborts.
   */
  async waitForData(
    offset: number,
    timeoutMs: number,
    signal?: AbortSignal,
    isolation: 'committed' | 'uncommitted' = 'uncommitted',
  ): Promise<boolean> {
    const end = (): number => (isolation === 'committed' ? this.committedOffset : this.#highWatermark);
    if (end() > offset) return true;
    if (timeoutMs <= 0 || this.#closed) return false;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      onAbort = () => resolve();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      while (end() <= offset && !this.#closed && signal?.aborted !== true) {
        const arrived = await Promise.race([
          this.#dataArrived.promise.then(() => true),
          timeout.then(() => false),
        ]);
        if (!arrived) break;
      }
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
    return end() > offset;
  }

  #notifyReaders(): void {
    const arrived = this.#dataArrived;
    this.#dataArrived = deferred();
    arrived.resolve();
  }

  /**
   * Deletes whole sealed segments past the time or size limit. The new log start offset is written
   * atomically before any file goes, so a crash leaves either the old log or the new one.
   */
  applyRetention(now: number): Promise<number> {
    return this.serialiseMaintenance(() => this.#applyRetention(now));
  }

  async #applyRetention(now: number): Promise<number> {
    this.#check();
    const { retentionMs, retentionBytes } = this.config;
    if (retentionMs === undefined && retentionBytes === undefined) return 0;
    let excess = retentionBytes === undefined ? 0 : this.sizeBytes - retentionBytes;
    let remove = 0;
    for (const segment of this.segments) {
      if (segment === this.#active || !segment.sealed) break;
      const expired = retentionMs !== undefined && segment.maxTimestamp < now - retentionMs;
      const oversize = retentionBytes !== undefined && excess - segment.size >= 0;
      if (!expired && !oversize) break;
      excess -= segment.size;
      remove++;
    }
    if (remove === 0) return 0;
    const newStart = Math.max(this.#logStartOffset, this.segments[remove]!.baseOffset);
    writeFileAtomic(
      join(this.config.dir, 'log-start-offset'),
      String(newStart),
      'log.retention.start-offset',
    );
    this.#logStartOffset = newStart;
    const removed = this.segments.splice(0, remove);
    for (const segment of removed) {
      segment.retire();
      deleteSegmentFiles(segment);
      failpoint('log.retention.after-delete');
    }
    return remove;
  }

  /** Runs `task` with retention and compaction of this partition serialised. */
  serialiseMaintenance<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#maintenance.then(task);
    this.#maintenance = run.catch(() => undefined);
    return run;
  }

  /** The active segment (receives appends). */
  get activeSegment(): Segment {
    return this.#active;
  }

  /** Replaces sealed segments after a compaction swap. */
  replaceSegments(removed: readonly Segment[], added: readonly Segment[]): void {
    const first = this.segments.indexOf(removed[0]!);
    this.segments.splice(first, removed.length, ...added);
    for (const segment of removed) segment.retire();
  }

  /**
   * Makes everything appended so far durable, whatever the partition's durability mode: waits for queued
   * appends and segment seals, then fdatasyncs the active segment. The engine calls it before a
   * checkpoint for partitions written with durability `none`.
   */
  async sync(): Promise<void> {
    this.#check();
    await this.#drainRun;
    await this.#sealing;
    try {
      await this.#sync(this.#active);
    } catch (error) {
      this.#fail(
        new EngineError('LOG_FSYNC_FAILED', `fdatasync of ${this.#active.path()} failed`, {
          cause: error,
          details: this.#details(),
        }),
      );
      throw this.#failure;
    }
  }

  /**
   * Removes every record at or after `offset`, which must start a batch (every end offset an append
   * returned does). For the engine: on recovery it discards what was written after its last checkpoint.
   * Crash-safe and repeatable: later segments go first (newest first), then the containing segment loses
   * its index (so recovery treats it as the tail) and is cut; a crash in between leaves a prefix of the
   * old log, and repeating the call finishes the job. Callers must not append concurrently.
   */
  async truncateTo(offset: number): Promise<void> {
    this.#check();
    await this.#drainRun;
    await this.#sealing;
    await this.#maintenance;
    if (!Number.isSafeInteger(offset) || offset < this.#logStartOffset || offset > this.#highWatermark) {
      throw new EngineError(
        'OFFSET_OUT_OF_RANGE',
        `cannot truncate ${this.#name()} to ${offset}: outside [${this.#logStartOffset}, ${this.#highWatermark}]`,
        {
          details: {
            ...this.#details(),
            offset,
            logStartOffset: this.#logStartOffset,
            highWatermark: this.#highWatermark,
          },
        },
      );
    }
    if (offset === this.#highWatermark) return;
    const target = this.#segmentFor(offset)!;
    const position = await this.#batchStart(target, offset);
    const index = this.segments.indexOf(target);
    for (const later of this.segments.splice(index + 1).reverse()) {
      later.retire();
      deleteSegmentFiles(later);
      failpoint('log.truncate.after-delete');
    }
    try {
      for (const ext of ['index', 'timeindex', 'producers']) {
        try {
          unlinkSync(target.path(ext));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
      fsyncDirectory(this.config.dir);
      failpoint('log.truncate.before-cut');
      target.truncateTo(position);
      await this.#sync(target);
    } catch (error) {
      const failure = ioError(error, `truncate ${this.#name()} to ${offset}`, this.#details());
      this.#fail(failure);
      throw failure;
    }
    target.sealed = false;
    target.readableSize = position;
    target.nextOffset = offset;
    this.#active = target;
    this.#nextOffset = offset;
    this.#highWatermark = offset;
    if (this.#committedOffset !== undefined) this.#committedOffset = Math.min(this.#committedOffset, offset);
    this.#producers.truncate(offset);
  }

  /** The byte position in `segment` of the batch that starts at `offset` (its end if past its records). */
  async #batchStart(segment: Segment, offset: number): Promise<number> {
    const entry = segment.index.entryAtOrBefore(offset - segment.baseOffset);
    let position = entry.position;
    segment.acquire();
    try {
      while (position < segment.readableSize) {
        const header = await segment.read(position, BATCH_HEADER_BYTES);
        if (checkBatch(header, 0, header.length, this.config.maxBatchBytes) === 'invalid')
          throw this.#corrupt(segment, position, offset);
        const base = batchBaseOffset(header, 0);
        if (base >= offset) {
          if (base === offset) return position;
          break;
        }
        if (batchLastOffset(header, 0) >= offset) {
          throw new EngineError(
            'INVALID_ARGUMENT',
            `offset ${offset} of ${this.#name()} is inside a batch (${base}..${batchLastOffset(header, 0)}); truncate at a batch start`,
            {
              details: { ...this.#details(), offset },
            },
          );
        }
        position += header.readUInt32BE(0) + 4;
      }
    } finally {
      segment.release();
    }
    return position;
  }

  /** Waits for queued appends and sealing, syncs the active segment and closes every file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#drainRun;
    clearTimeout(this.#intervalSync);
    await this.#sealing;
    await this.#maintenance;
    if (this.#failure === undefined) {
      try {
        await this.#sync(this.#active);
      } catch (error) {
        this.#fail(ioError(error, `final fdatasync of ${this.#name()}`));
      }
    }
    const arrived = this.#dataArrived;
    arrived.resolve();
    for (const segment of this.segments) segment.retire();
  }
}

export function deleteSegmentFiles(segment: Segment): void {
  for (const ext of ['log', 'index', 'timeindex', 'producers']) {
    try {
      unlinkSync(segment.path(ext));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw ioError(error, `delete ${segment.path(ext)}`);
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
