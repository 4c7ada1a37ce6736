import { crc32c } from './crc32c.ts';
import { readInt64, writeInt64 } from './record-batch.ts';

/**
 * A segment's sparse indexes, kept in memory and written beside the segment when it is sealed:
 * - offset index: (relative offset, file position) of a batch start, one entry per `intervalBytes` of data;
 * - time index: (max timestamp so far, relative offset) at the same batch starts, only when the max grows.
 * File layout: magic 'RVIX'|'RVTI', u32 count, entries, u32 CRC32C of everything before it. A file whose
 * CRC or size does not match is treated as absent (the segment is then scanned and the index rebuilt).
 */
const OFFSETS_HEADER = 32;

/** What a sealed segment holds: the offset after its last record, its max timestamp, its byte size. */
export interface SegmentExtent {
  nextOffset: number;
  maxTimestamp: number;
  size: number;
}

export class SparseIndex {
  readonly offsets: number[] = [];
  readonly positions: number[] = [];
  readonly timestamps: number[] = [];
  readonly timeOffsets: number[] = [];
  #sinceLastEntry = Number.POSITIVE_INFINITY;
  #maxTimestamp = Number.NEGATIVE_INFINITY;

  constructor(readonly intervalBytes: number) {}

  /** Records a batch written at `position`; called in file order. */
  add(relativeOffset: number, position: number, size: number, maxTimestamp: number): void {
    if (this.#sinceLastEntry >= this.intervalBytes) {
      this.offsets.push(relativeOffset);
      this.positions.push(position);
      this.#sinceLastEntry = 0;
      if (maxTimestamp > this.#maxTimestamp) {
        this.timestamps.push(maxTimestamp);
        this.timeOffsets.push(relativeOffset);
      }
    }
    if (maxTimestamp > this.#maxTimestamp) this.#maxTimestamp = maxTimestamp;
    this.#sinceLastEntry += size;
  }

  /** Drops entries at or past `position` (after a truncation). */
  truncate(position: number): void {
    let keep = this.positions.length;
    while (keep > 0 && this.positions[keep - 1]! >= position) keep--;
    const firstDropped = this.offsets[keep];
    this.offsets.length = keep;
    this.positions.length = keep;
    if (firstDropped !== undefined) {
      let keepTime = this.timeOffsets.length;
      while (keepTime > 0 && this.timeOffsets[keepTime - 1]! >= firstDropped) keepTime--;
      this.timestamps.length = keepTime;
      this.timeOffsets.length = keepTime;
    }
    this.#sinceLastEntry = Number.POSITIVE_INFINITY;
    this.#maxTimestamp =
      this.timestamps.length > 0 ? this.timestamps[this.timestamps.length - 1]! : Number.NEGATIVE_INFINITY;
  }

  /** The last indexed batch starting at or before `relativeOffset` (the segment start if none). */
  entryAtOrBefore(relativeOffset: number): { relativeOffset: number; position: number } {
    const i = lastAtOrBelow(this.offsets, relativeOffset);
    return i < 0
      ? { relativeOffset: 0, position: 0 }
      : { relativeOffset: this.offsets[i]!, position: this.positions[i]! };
  }

  /** A relative offset at or before the first record with timestamp >= `timestamp` (0 if unknown). */
  offsetForTimestamp(timestamp: number): number {
    const i = lastBelow(this.timestamps, timestamp);
    return i < 0 ? 0 : this.timeOffsets[i]!;
  }

  /** The offset index file; its header also records the sealed segment's extent, checked on load. */
  encodeOffsets(extent: SegmentExtent): Buffer {
    const buf = Buffer.allocUnsafe(OFFSETS_HEADER + this.offsets.length * 8 + 4);
    buf.write('RVIX', 0, 'latin1');
    buf.writeUInt32BE(this.offsets.length, 4);
    writeInt64(buf, 8, extent.nextOffset);
    writeInt64(buf, 16, extent.maxTimestamp);
    writeInt64(buf, 24, extent.size);
    for (let i = 0; i < this.offsets.length; i++) {
      buf.writeUInt32BE(this.offsets[i]!, OFFSETS_HEADER + i * 8);
      buf.writeUInt32BE(this.positions[i]!, OFFSETS_HEADER + 4 + i * 8);
    }
    buf.writeUInt32BE(crc32c(buf, 0, buf.length - 4), buf.length - 4);
    return buf;
  }

  encodeTimes(): Buffer {
    const buf = Buffer.allocUnsafe(12 + this.timestamps.length * 12);
    buf.write('RVTI', 0, 'latin1');
    buf.writeUInt32BE(this.timestamps.length, 4);
    for (let i = 0; i < this.timestamps.length; i++) {
      writeInt64(buf, 8 + i * 12, this.timestamps[i]!);
      buf.writeUInt32BE(this.timeOffsets[i]!, 16 + i * 12);
    }
    buf.writeUInt32BE(crc32c(buf, 0, buf.length - 4), buf.length - 4);
    return buf;
  }

  /**
   * Loads both files' contents; returns the recorded extent, or undefined (leaving this index empty) if
   * either file is invalid or the extent does not match the segment file's size.
   */
  decode(offsetsFile: Buffer, timesFile: Buffer, segmentSize: number): SegmentExtent | undefined {
    if (!validFile(offsetsFile, 'RVIX', OFFSETS_HEADER, 8) || !validFile(timesFile, 'RVTI', 8, 12))
      return undefined;
    const extent = {
      nextOffset: readInt64(offsetsFile, 8),
      maxTimestamp: readInt64(offsetsFile, 16),
      size: readInt64(offsetsFile, 24),
    };
    if (extent.size !== segmentSize) return undefined;
    const count = offsetsFile.readUInt32BE(4);
    for (let i = 0; i < count; i++) {
      const offset = offsetsFile.readUInt32BE(OFFSETS_HEADER + i * 8);
      const position = offsetsFile.readUInt32BE(OFFSETS_HEADER + 4 + i * 8);
      if (
        position >= segmentSize ||
        (i > 0 && (offset <= this.offsets[i - 1]! || position <= this.positions[i - 1]!))
      ) {
        this.offsets.length = 0;
        this.positions.length = 0;
        return undefined;
      }
      this.offsets.push(offset);
      this.positions.push(position);
    }
    const timeCount = timesFile.readUInt32BE(4);
    for (let i = 0; i < timeCount; i++) {
      this.timestamps.push(readInt64(timesFile, 8 + i * 12));
      this.timeOffsets.push(timesFile.readUInt32BE(16 + i * 12));
    }
    this.#maxTimestamp = extent.maxTimestamp;
    return extent;
  }
}

function validFile(buf: Buffer, magic: string, headerBytes: number, entryBytes: number): boolean {
  if (buf.length < headerBytes + 4 || buf.toString('latin1', 0, 4) !== magic) return false;
  if (buf.length !== headerBytes + 4 + buf.readUInt32BE(4) * entryBytes) return false;
  return crc32c(buf, 0, buf.length - 4) === buf.readUInt32BE(buf.length - 4);
}

function lastAtOrBelow(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function lastBelow(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
