import { type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import {
  type ConnectorRecord,
  EngineError,
  PollWaiter,
  type SourceBatch,
  type SourceReader,
} from 'rivulet/connector';
import { readCsvRecord } from './csv-record.ts';
import { DigitSlab } from './digit-slab.ts';
import { type FilePosition, parsePosition } from './file-position.ts';
import { FILE_SOURCE, type FileSourceConfig } from './file-source.ts';

const CHUNK = 256 * 1024;
const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

function isBlank(data: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (data[i] !== 0x20 && data[i] !== 0x09) return false;
  return true;
}

/** A chunk read from the file at `at`. */
interface ChunkRead {
  readonly at: number;
  readonly chunk: Buffer;
  readonly bytesRead: number;
}

/**
 * Reads one file of a file source. Holds an open handle and at most two 256 KiB chunks beyond the last
 * record returned (one being read ahead; the rest stays on disk). Record values are sub-arrays of the read chunks (no copy).
 * In follow mode a waiting poll wakes on fs.watch events or every `pollMs`; when it finds the path
 * now names another inode (rotation) it first returns the old file's remaining records, then reads the
 * new file from its start; when the file shrank below the position (truncation) it reads from the start.
 */
export class FileSplitReader implements SourceReader {
  private buffer: Buffer = EMPTY;
  private cursor = 0;
  /** File offset of buffer[cursor]: the position's offset. */
  private offset: number;
  private line: number;
  private names: readonly string[] | undefined;
  private nameKeys: string[] = [];
  private readonly fileBytes: Uint8Array;
  private watcher: FSWatcher | undefined;
  /** Woken by fs.watch events; a change while no poll waits is kept for the next wait. */
  private readonly waiter = new PollWaiter({ remember: true });
  /** The path names another file: drain this one as complete (partial last line included), then switch. */
  private rotated = false;
  private closed = false;
  private readonly digits = new DigitSlab();
  private prefetched: Promise<ChunkRead> | undefined;
  /** Offset of the first record in the file: 3 after a UTF-8 byte order mark, else 0. */
  private dataStart = 0;

  private constructor(
    private readonly config: FileSourceConfig,
    private readonly split: string,
    private readonly path: string,
    private handle: FileHandle,
    private ino: number,
    start: FilePosition,
  ) {
    this.offset = start.offset;
    this.line = start.line;
    this.fileBytes = Buffer.from(path);
    if (Array.isArray(config.header)) this.setNames(config.header);
    if (config.follow && config.watch) {
      try {
        this.watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
          if (name === null || name === basename(path)) this.notify();
        });
        this.watcher.on('error', () => this.watcher?.close());
      } catch {
        this.watcher = undefined; // polling only
      }
    }
  }

  static async open(
    config: FileSourceConfig,
    split: string,
    path: string,
    position: string | undefined,
  ): Promise<FileSplitReader> {
    const wanted = position === undefined ? undefined : parsePosition(position, split);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new EngineError(
        wanted !== undefined && code === 'ENOENT' ? 'SOURCE_POSITION_INVALID' : 'CONNECTOR_FAILED',
        `fileSource: cannot open ${path}: ${(error as Error).message}`,
        {
          cause: error,
          retryable: code !== 'ENOENT' && code !== 'EACCES',
          details: { connector: FILE_SOURCE, split, path },
        },
      );
    }
    try {
      const st = await handle.stat();
      let start: FilePosition = { offset: 0, line: 0, ino: st.ino };
      if (wanted !== undefined) {
        const replaced = wanted.ino !== st.ino || wanted.offset > st.size;
        if (replaced && !config.follow)
          throw new EngineError(
            'SOURCE_POSITION_INVALID',
            `fileSource: ${path} is not the file position ${position} was taken in (inode ${st.ino}, ${st.size} bytes)`,
            { details: { connector: FILE_SOURCE, split, position } },
          );
        if (!replaced) {
          if (wanted.offset > 0 && wanted.offset < st.size) {
            const before = Buffer.alloc(1);
            await handle.read(before, 0, 1, wanted.offset - 1);
            if (before[0] !== LF)
              throw new EngineError(
                'SOURCE_POSITION_INVALID',
                `fileSource: position ${position} is not at a line start of ${path}`,
                {
                  details: { connector: FILE_SOURCE, split, position },
                },
              );
          }
          start = wanted;
        }
        // Replaced while following (rotated or truncated while stopped): read the new file from its start.
      }
      const reader = new FileSplitReader(config, split, path, handle, st.ino, start);
      if (config.header === true && start.offset > 0) await reader.readHeader();
      return reader;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch> {
    this.usable();
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const records = await this.read(maxRecords);
      if (records.length > 0 || this.closed) return { records, position: this.position() };
      if (this.config.follow && (await this.followPath())) continue;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return { records, position: this.position() };
      await this.waiter.wait(Math.min(left, this.config.pollMs), signal);
    }
  }

  async commit(position: string): Promise<void> {
    parsePosition(position, this.split); // nothing to acknowledge: the file stays as it is
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    this.waiter.wake();
    await this.dropReadAhead();
    await this.handle.close();
  }

  private position(): string {
    return `${this.offset}:${this.line}:${this.ino}`;
  }

  private usable(): void {
    if (this.closed)
      throw new EngineError('CONNECTOR_FAILED', `fileSource: the reader of ${this.split} is closed`, {
        details: { connector: FILE_SOURCE, split: this.split },
      });
  }

  private notify(): void {
    this.waiter.wake();
  }

  /** Reads up to `max` records from the buffer, reading further chunks as needed. */
  private async read(max: number): Promise<ConnectorRecord[]> {
    const records: ConnectorRecord[] = [];
    const now = Date.now();
    while (records.length < max) {
      if (this.next(records, now, false)) continue;
      if ((await this.fill()) > 0) continue;
      // End of the file: bounded mode (or a rotated-away file) takes a partial last line as a record.
      const eof = !this.config.follow || this.rotated;
      if (eof && this.next(records, now, true)) continue;
      break;
    }
    return records;
  }

  /** Reads up to CHUNK bytes at `at`; a failure rejects with CONNECTOR_FAILED (never unhandled). */
  private readChunk(at: number): Promise<ChunkRead> {
    const chunk = Buffer.allocUnsafe(CHUNK);
    const read = this.handle.read(chunk, 0, CHUNK, at).then(
      ({ bytesRead }) => ({ at, chunk, bytesRead }),
      (error: unknown) => {
        throw new EngineError(
          'CONNECTOR_FAILED',
          `fileSource: cannot read ${this.path}: ${(error as Error).message}`,
          {
            cause: error,
            details: { connector: FILE_SOURCE, split: this.split },
          },
        );
      },
    );
    read.catch(() => undefined); // a read-ahead nobody awaits must not be an unhandled rejection
    return read;
  }

  /** Waits for an outstanding read-ahead (before the handle is closed or replaced) and drops it. */
  private async dropReadAhead(): Promise<void> {
    const pending = this.prefetched;
    this.prefetched = undefined;
    if (pending !== undefined) await pending.catch(() => undefined);
  }

  /** Appends the next chunk of the file to the buffer; returns the bytes read (0 at EOF). */
  private async fill(): Promise<number> {
    const at = this.offset + (this.buffer.length - this.cursor);
    const ahead = this.prefetched;
    this.prefetched = undefined;
    let { chunk, bytesRead } = await (ahead ?? this.readChunk(at));
    if (ahead !== undefined && ((await ahead).at !== at || bytesRead === 0)) {
      // A read-ahead that found the end may be stale (the file may have grown since): read again.
      ({ chunk, bytesRead } = await this.readChunk(at));
    }
    if (bytesRead === CHUNK) {
      // Likely more to come: read the next chunk while the caller works through this one (one at most).
      this.prefetched = this.readChunk(at + bytesRead);
    }
    if (bytesRead === 0) return 0;
    const rest = this.buffer.subarray(this.cursor);
    // A small read (a few appended lines) is copied so records do not pin a mostly empty read chunk.
    const data =
      bytesRead < CHUNK / 4 ? Buffer.from(chunk.subarray(0, bytesRead)) : chunk.subarray(0, bytesRead);
    this.buffer = rest.length === 0 ? data : Buffer.concat([rest, data]);
    this.cursor = 0;
    if (
      this.offset === 0 &&
      this.buffer.length >= 3 &&
      this.buffer[0] === 0xef &&
      this.buffer[1] === 0xbb &&
      this.buffer[2] === 0xbf
    ) {
      this.cursor = 3; // a UTF-8 byte order mark is not data
      this.offset = 3;
      this.dataStart = 3;
    }
    return bytesRead;
  }

  /** Frames one record at the cursor into `records` (blank lines and the CSV header are consumed silently). */
  private next(records: ConnectorRecord[], now: number, eof: boolean): boolean {
    if (this.cursor >= this.buffer.length) return false;
    const start = this.cursor;
    const startOffset = this.offset;
    const line = this.line + 1;
    let end: number;
    let value: Uint8Array;
    let error: string | undefined;
    if (this.config.format === 'jsonl') {
      const lf = this.buffer.indexOf(LF, start);
      if (lf < 0 && !eof) return false;
      end = lf < 0 ? this.buffer.length : lf + 1;
      const textEnd = lf < 0 ? end : lf > start && this.buffer[lf - 1] === CR ? lf - 1 : lf;
      this.consume(end, lf < 0 ? 0 : 1);
      if (isBlank(this.buffer, start, textEnd)) return true;
      value = this.buffer.subarray(start, textEnd);
    } else {
      const record = readCsvRecord(
        this.buffer,
        start,
        eof,
        this.config.delimiter,
        this.config.maxRecordBytes,
      );
      if (record === undefined) return false;
      end = record.end;
      this.consume(end, record.newlines);
      if (record.fields !== undefined && record.fields.length === 1 && record.fields[0] === '') return true; // blank line
      if (this.config.header === true && startOffset === this.dataStart) {
        if (record.fields !== undefined) this.setNames(record.fields);
        else this.names = undefined;
        if (record.fields !== undefined) return true;
      }
      error = record.error;
      if (error === undefined && this.names === undefined) error = 'the file has no valid header record';
      if (error === undefined && record.fields!.length !== this.names!.length)
        error = `expected ${this.names!.length} fields, got ${record.fields!.length}`;
      value =
        error === undefined
          ? Buffer.from(this.toJson(record.fields!))
          : this.buffer.subarray(start, record.textEnd);
    }
    const headers = new Map<string, Uint8Array>();
    headers.set('rivulet.source.file', this.fileBytes);
    headers.set('rivulet.source.byte-offset', this.digits.of(startOffset));
    headers.set('rivulet.source.line', this.digits.of(line));
    if (error !== undefined) headers.set('rivulet.source.error', Buffer.from(error));
    records.push({ key: null, value, timestamp: now, headers });
    return true;
  }

  private consume(end: number, newlines: number): void {
    this.offset += end - this.cursor;
    this.cursor = end;
    this.line += newlines;
  }

  private setNames(names: readonly string[]): void {
    this.names = names;
    this.nameKeys = names.map((n, i) => `${i === 0 ? '{' : ','}${JSON.stringify(n)}:`);
  }

  private toJson(fields: readonly string[]): string {
    let json = '';
    for (let f = 0; f < fields.length; f++) json += this.nameKeys[f] + JSON.stringify(fields[f]);
    return `${json}}`;
  }

  /** Reads the CSV header record at the file's start (when resuming past it). */
  private async readHeader(): Promise<void> {
    let size = CHUNK;
    for (;;) {
      const data = Buffer.alloc(size);
      const { bytesRead } = await this.handle.read(data, 0, size, 0);
      const bom = bytesRead >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
      this.dataStart = bom;
      const record = readCsvRecord(
        data.subarray(0, bytesRead),
        bom,
        bytesRead < size,
        this.config.delimiter,
        this.config.maxRecordBytes,
      );
      if (record !== undefined || bytesRead < size) {
        if (record?.fields !== undefined) this.setNames(record.fields);
        return;
      }
      size *= 2;
    }
  }

  /**
   * At the end of the file in follow mode: did the path move on? Rotation (another inode at the path):
   * first the rest of this file (a partial last line included), then the new file from its start.
   * Truncation (same inode, shorter than the position): from the start.
   */
  private async followPath(): Promise<boolean> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(this.path);
    } catch {
      return false; // renamed away and not yet re-created: keep waiting on the open file
    }
    if (st.ino !== this.ino) {
      if (!this.rotated) {
        this.rotated = true; // one more read of the old file, taking its partial last line
        return true;
      }
      let handle: FileHandle;
      try {
        handle = await open(this.path, 'r');
      } catch {
        return false;
      }
      const fresh = await handle.stat();
      await this.dropReadAhead();
      await this.handle.close();
      this.handle = handle;
      this.ino = fresh.ino;
      this.rotated = false;
      this.reset();
      return true;
    }
    if (st.size < this.offset + (this.buffer.length - this.cursor)) {
      await this.dropReadAhead();
      this.reset();
      return true;
    }
    return false;
  }

  private reset(): void {
    this.buffer = EMPTY;
    this.cursor = 0;
    this.offset = 0;
    this.line = 0;
    this.dataStart = 0;
    if (this.config.header === true) this.names = undefined;
  }
}
