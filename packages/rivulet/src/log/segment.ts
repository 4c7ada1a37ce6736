import * as fs from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../model/index.ts';
import { ioError } from './io-error.ts';
import {
  type BatchHeader,
  batchBaseOffset,
  batchLastOffset,
  batchMaxTimestamp,
  checkBatch,
  readBatchHeader,
} from './record-batch.ts';
import { type SegmentExtent, SparseIndex } from './sparse-index.ts';

export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

export function parseSegmentName(file: string): { base: number; ext: string } | undefined {
  const match = /^(\d{20})\.(log|index|timeindex|producers)(\.cleaned)?$/.exec(file);
  if (match === null) return undefined;
  return { base: Number(match[1]), ext: `${match[2]}${match[3] ?? ''}` };
}

/** Where a segment scan stopped: at the end, or at the first position holding no valid batch. */
export interface ScanResult {
  validSize: number;
  nextOffset: number;
  maxTimestamp: number;
  /** True when bytes past `validSize` exist that are not a valid batch. */
  invalidTail: boolean;
}

const SCAN_CHUNK = 8 * 1024 * 1024;

/**
 * One segment file `<base>.log` of a partition with its in-memory sparse index. The partition serialises
 * writes (one writer at a time, positional, at `size`); reads are positional and may run concurrently.
 * A retired segment closes its file once the last reader has released it.
 */
export class Segment {
  readonly baseOffset: number;
  readonly dir: string;
  readonly index: SparseIndex;
  fd: number;
  /** Bytes written (not necessarily durable yet). */
  size = 0;
  /** Bytes readers may see: whole batches that are acknowledged under the partition's durability. */
  readableSize = 0;
  /** The offset after the last record written. */
  nextOffset: number;
  maxTimestamp = Number.NEGATIVE_INFINITY;
  /** Sealed segments are immutable and have their index files on disk. */
  sealed = false;
  /** Opened with O_DSYNC: a completed write is already durable (no separate fdatasync needed). */
  readonly syncWrites: boolean;
  #readers = 0;
  #retired = false;

  private constructor(
    dir: string,
    baseOffset: number,
    fd: number,
    indexIntervalBytes: number,
    syncWrites: boolean,
  ) {
    this.dir = dir;
    this.syncWrites = syncWrites;
    this.baseOffset = baseOffset;
    this.fd = fd;
    this.nextOffset = baseOffset;
    this.index = new SparseIndex(indexIntervalBytes);
  }

  path(ext = 'log'): string {
    return join(this.dir, `${segmentName(this.baseOffset)}.${ext}`);
  }

  /** `syncWrites` opens the file with O_DSYNC (the partition's `fsync` durability). */
  static create(dir: string, baseOffset: number, indexIntervalBytes: number, syncWrites = false): Segment {
    const path = join(dir, `${segmentName(baseOffset)}.log`);
    const { O_RDWR, O_CREAT, O_TRUNC, O_DSYNC } = fs.constants;
    try {
      const flags = syncWrites ? O_RDWR | O_CREAT | O_TRUNC | O_DSYNC : 'w+';
      return new Segment(dir, baseOffset, fs.openSync(path, flags, 0o644), indexIntervalBytes, syncWrites);
    } catch (error) {
      throw ioError(error, `create segment ${path}`);
    }
  }

  /**
   * Opens an existing segment. If its index files are valid and match the file, it is sealed and ready;
   * otherwise the caller must `scan()` it.
   */
  static open(dir: string, baseOffset: number, indexIntervalBytes: number, syncWrites = false): Segment {
    const path = join(dir, `${segmentName(baseOffset)}.log`);
    let fd: number;
    try {
      fd = fs.openSync(path, syncWrites ? fs.constants.O_RDWR | fs.constants.O_DSYNC : 'r+');
    } catch (error) {
      throw ioError(error, `open segment ${path}`);
    }
    const segment = new Segment(dir, baseOffset, fd, indexIntervalBytes, syncWrites);
    segment.size = fs.fstatSync(fd).size;
    const extent = segment.#loadIndex();
    if (extent !== undefined) {
      segment.sealed = true;
      segment.readableSize = segment.size;
      segment.nextOffset = extent.nextOffset;
      segment.maxTimestamp = extent.maxTimestamp;
    }
    return segment;
  }

  #loadIndex(): SegmentExtent | undefined {
    let offsets: Buffer;
    let times: Buffer;
    try {
      offsets = fs.readFileSync(this.path('index'));
      times = fs.readFileSync(this.path('timeindex'));
    } catch {
      return undefined;
    }
    return this.index.decode(offsets, times, this.size);
  }

  /**
   * Reads the whole file, validating each batch (length, magic, CRC, offsets increasing from
   * `expectedOffset`), rebuilding the index, and reporting each valid batch header to `onBatch`. Stops at
   * the first invalid or incomplete batch. Synchronous: used while opening a partition.
   */
  scan(expectedOffset: number, maxBatchBytes: number, onBatch?: (header: BatchHeader) => void): ScanResult {
    this.index.truncate(0);
    let position = 0;
    let nextOffset = Math.max(expectedOffset, this.baseOffset);
    let maxTimestamp = Number.NEGATIVE_INFINITY;
    let chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(this.size, 4096)));
    let invalidTail = false;
    while (position < this.size) {
      const length = Math.min(chunk.length, this.size - position);
      const read = fs.readSync(this.fd, chunk, 0, length, position);
      let pos = 0;
      while (pos < read) {
        const check = checkBatch(chunk, pos, read, maxBatchBytes);
        if (check === 'incomplete') break;
        if (check === 'invalid' || batchBaseOffset(chunk, pos) < nextOffset) {
          invalidTail = true;
          break;
        }
        const header = readBatchHeader(chunk, pos);
        this.index.add(header.baseOffset - this.baseOffset, position + pos, header.size, header.maxTimestamp);
        onBatch?.(header);
        nextOffset = header.baseOffset + header.lastOffsetDelta + 1;
        if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
        pos += header.size;
      }
      if (invalidTail) {
        position += pos;
        break;
      }
      if (pos === 0) {
        // Not even one batch fits: either a torn batch at the end of the file or a batch larger than the chunk.
        const needed = chunk.length >= 4 ? chunk.readUInt32BE(0) + 4 : 0;
        if (position + needed > this.size || needed <= chunk.length) {
          invalidTail = true;
          break;
        }
        chunk = Buffer.allocUnsafe(needed);
        continue;
      }
      position += pos;
    }
    if (position < this.size && !invalidTail) invalidTail = true;
    return { validSize: position, nextOffset, maxTimestamp, invalidTail };
  }

  /** Applies a scan's outcome; truncates the file when `truncate` and the tail was invalid. */
  adoptScan(result: ScanResult, truncate: boolean): void {
    if (truncate && result.validSize < this.size) {
      try {
        fs.ftruncateSync(this.fd, result.validSize);
        fs.fdatasyncSync(this.fd);
      } catch (error) {
        throw ioError(error, `truncate segment ${this.path()}`);
      }
      this.size = result.validSize;
    }
    this.readableSize = result.validSize;
    this.nextOffset = result.nextOffset;
    this.maxTimestamp = result.maxTimestamp;
  }

  /**
   * Writes encoded batches at the end of the file. Resolves when the bytes are in the OS (not fsynced).
   * On failure the caller truncates back with `truncateTo`.
   */
  write(buffers: Buffer[], byteLength: number): Promise<void> {
    const position = this.size;
    return writeAll(this.fd, buffers, position, byteLength);
  }

  /** Records batches just written (in order) in the in-memory index and extent. */
  noteWritten(buffers: readonly Buffer[]): void {
    let position = this.size;
    for (const batch of buffers) {
      const maxTimestamp = batchMaxTimestamp(batch, 0);
      this.index.add(batchBaseOffset(batch, 0) - this.baseOffset, position, batch.length, maxTimestamp);
      if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
      position += batch.length;
      this.nextOffset = batchLastOffset(batch, 0) + 1;
    }
    this.size = position;
  }

  /** Cuts the file back to `size` bytes after a failed write. */
  truncateTo(size: number): void {
    fs.ftruncateSync(this.fd, size);
    this.size = size;
    this.index.truncate(size);
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.fd, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Reads up to `length` bytes at `position` (bounded by what readers may see). */
  read(position: number, length: number): Promise<Buffer> {
    const end = Math.min(position + length, this.readableSize);
    if (end <= position) return Promise.resolve(Buffer.alloc(0));
    const buf = Buffer.allocUnsafe(end - position);
    return new Promise((resolve, reject) => {
      fs.read(this.fd, buf, 0, buf.length, position, (error, bytesRead) => {
        if (error) reject(ioError(error, `read ${this.path()}`));
        else resolve(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      });
    });
  }

  /** The index files' contents for sealing, describing the segment as it is now. */
  indexFiles(): { offsets: Buffer; times: Buffer } {
    return {
      offsets: this.index.encodeOffsets({
        nextOffset: this.nextOffset,
        maxTimestamp: this.maxTimestamp,
        size: this.size,
      }),
      times: this.index.encodeTimes(),
    };
  }

  acquire(): void {
    if (this.#retired) throw new EngineError('INTERNAL', `segment ${this.path()} was retired`);
    this.#readers++;
  }

  release(): void {
    this.#readers--;
    if (this.#retired && this.#readers === 0) this.#close();
  }

  get retired(): boolean {
    return this.#retired;
  }

  /** No new reads; the file is closed once current readers finish. Unlinking is the caller's business. */
  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    if (this.#readers === 0) this.#close();
  }

  #close(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // closing a file we only read from cannot lose data
      }
      this.fd = -1;
    }
  }
}

/** Positional writev that completes partial writes; rejects with the fs error (bytes may be partly written). */
function writeAll(fd: number, buffers: Buffer[], position: number, byteLength: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let remaining = buffers;
    let pos = position;
    let left = byteLength;
    const step = (): void => {
      const slice = remaining.length > 1024 ? remaining.slice(0, 1024) : remaining;
      fs.writev(fd, slice, pos, (error, written) => {
        if (error) {
          reject(error);
          return;
        }
        pos += written;
        left -= written;
        if (left <= 0) {
          resolve();
          return;
        }
        let skip = written;
        let i = 0;
        while (i < remaining.length && skip >= remaining[i]!.length) {
          skip -= remaining[i]!.length;
          i++;
        }
        remaining = remaining.slice(i);
        if (skip > 0) remaining[0] = remaining[0]!.subarray(skip);
        step();
      });
    };
    step();
  });
}
