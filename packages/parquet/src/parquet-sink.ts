import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  EngineError,
  isEngineError,
  type SinkConnector,
  type SinkContext,
  type SinkRecord,
  type SinkWriter,
} from 'rivulet/connector';
import { LocalTableStore } from './local-table-store.ts';
import {
  type ParquetColumn,
  type ParquetColumnsOption,
  resolveColumns,
  rowFromValue,
} from './parquet-columns.ts';
import { type ParquetS3Target, type ResolvedS3Target, resolveS3Target, S3Client } from './s3-client.ts';
import { S3TableStore } from './s3-table-store.ts';
import type { TableFile, TableStore } from './table-store.ts';

export interface ParquetSinkOptions {
  /** Root directory of the data lake table on a local file system (created if missing). Or `s3`. */
  readonly dir?: string;
  /** An S3-compatible bucket (and key prefix) as the table's root instead of `dir`. */
  readonly s3?: ParquetS3Target;
  /** The table's columns; record values are JSON objects whose fields fill them. */
  readonly columns: ParquetColumnsOption;
  /** Directories by record timestamp (UTC): `date=2026-12-07/hour=13/` (default), `date=2026-12-07/`, or none. */
  readonly partitionBy?: 'date/hour' | 'date' | 'none';
  /** A commit starts a new file after this many rows of one (directory, outbox partition). Default 1,000,000. */
  readonly rollRecords?: number;
  /** ... or after this many value bytes (JSON input size, an estimate of the file size). Default 128 MiB. */
  readonly rollBytes?: number;
  /** File name prefix (`<prefix>-<sink>-p<partition>-<first>-<last>.parquet`). Default 'part'. */
  readonly filePrefix?: string;
  /**
   * Defers writing files until at least this many rows are buffered (fewer, larger files). Positions
   * only advance when the files are written, so deferred rows are replayed after a crash. Default 0.
   */
  readonly minFileRecords?: number;
  /** With minFileRecords: writes anyway once the oldest deferred row waited this long (ms). Default 60,000. */
  readonly flushEveryMs?: number;
  /** Rows per Parquet row group. Default 100,000. */
  readonly rowGroupRows?: number;
  /** Milliseconds since the epoch, for flushEveryMs (tests inject a manual clock). Default Date.now. */
  readonly clock?: () => number;
}

interface ParquetSinkConfig {
  readonly target:
    | { readonly kind: 'local'; readonly dir: string }
    | { readonly kind: 's3'; readonly s3: ResolvedS3Target };
  readonly columns: readonly ParquetColumn[];
  readonly partitionBy: 'date/hour' | 'date' | 'none';
  readonly rollRecords: number;
  readonly rollBytes: number;
  readonly filePrefix: string;
  readonly minFileRecords: number;
  readonly flushEveryMs: number;
  readonly rowGroupRows: number;
  readonly clock: () => number;
}

const CONNECTOR = 'parquet';

function invalid(message: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `parquetSink: ${message}`, {
    details: { connector: CONNECTOR },
  });
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min)
    throw invalid(`\`${name}\` must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return value;
}

function resolve(options: ParquetSinkOptions): ParquetSinkConfig {
  if (options === null || typeof options !== 'object') throw invalid('options are required');
  if ((options.dir === undefined) === (options.s3 === undefined))
    throw invalid('exactly one of `dir` (a local directory) and `s3` (a bucket) is required');
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === ''))
    throw invalid('`dir` must be a non-empty path');
  const partitionBy = options.partitionBy ?? 'date/hour';
  if (!['date/hour', 'date', 'none'].includes(partitionBy))
    throw invalid(
      `\`partitionBy\` must be 'date/hour', 'date' or 'none', got ${JSON.stringify(partitionBy)}`,
    );
  const filePrefix = options.filePrefix ?? 'part';
  if (typeof filePrefix !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(filePrefix))
    throw invalid(`\`filePrefix\` must be letters, digits, '_', '.', '-', got ${JSON.stringify(filePrefix)}`);
  if (options.clock !== undefined && typeof options.clock !== 'function')
    throw invalid('`clock` must be a function');
  return {
    target:
      options.dir !== undefined
        ? { kind: 'local', dir: options.dir }
        : { kind: 's3', s3: resolveS3Target(options.s3!) },
    columns: resolveColumns(options.columns),
    partitionBy,
    rollRecords: positiveInteger('rollRecords', options.rollRecords, 1_000_000),
    rollBytes: positiveInteger('rollBytes', options.rollBytes, 128 * 1024 * 1024),
    filePrefix,
    minFileRecords: positiveInteger('minFileRecords', options.minFileRecords, 0, 0),
    flushEveryMs: positiveInteger('flushEveryMs', options.flushEveryMs, 60_000, 0),
    rowGroupRows: positiveInteger('rowGroupRows', options.rowGroupRows, 100_000),
    clock: options.clock ?? Date.now,
  };
}

/**
 * A transactional Parquet data-lake sink (hyparquet-writer, local file system). `write` validates and
 * buffers rows in memory per (directory, outbox partition); `commit` writes each buffered group as one
 * or more files (rolling at rollRecords/rollBytes), all made visible together with the positions through
 * the sink's manifest (see sink-manifest.ts): exactly-once files after any crash.
 *
 * Small files: every commit that has rows writes at least one file per (directory, partition). With the
 * engine's 100 ms commit interval that is up to 10 files per second and partition; set `minFileRecords`
 * (and `flushEveryMs`) to trade latency and replay work for fewer, larger files.
 */
export function parquetSink(options: ParquetSinkOptions): SinkConnector {
  const config = resolve(options);
  return {
    kind: 'sink-connector',
    connector: CONNECTOR,
    guarantee: 'transactional',
    async open(context: SinkContext): Promise<SinkWriter> {
      const writer = new ParquetSinkWriter(config, context);
      await writer.recover();
      return writer;
    },
  };
}

/** Rows of one outbox partition bound for one file, kept column by column. */
class Chunk {
  readonly values: unknown[][];
  rows = 0;
  bytes = 0;
  first = -1;
  last = -1;

  constructor(
    readonly dir: string,
    readonly partition: number,
    columns: number,
  ) {
    this.values = Array.from({ length: columns }, () => []);
  }
}

const HOUR = 3_600_000;

function failure(error: unknown, what: string, details: Record<string, unknown>): EngineError {
  if (isEngineError(error)) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  // A damaged manifest or a lost committed file: reopening cannot help.
  const damaged = error instanceof SyntaxError || (error as Error)?.name === 'ManifestError';
  const permanent =
    damaged || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR';
  return new EngineError('CONNECTOR_FAILED', `parquetSink: ${what}: ${(error as Error)?.message ?? error}`, {
    cause: error,
    retryable: !permanent,
    details: { connector: CONNECTOR, ...details },
  });
}

class ParquetSinkWriter implements SinkWriter {
  private readonly store: TableStore;
  private positions = new Map<number, number>();
  /** Chunks in the order they were started; the open one per partition and directory is in `open`. */
  private chunks: Chunk[] = [];
  private readonly open = new Map<number, Map<string, Chunk>>();
  private bufferedRows = 0;
  private firstBufferedAt = 0;
  private failed: EngineError | undefined;
  private closed = false;
  private lastHour = Number.NaN;
  private lastHourDir = '';

  constructor(
    private readonly config: ParquetSinkConfig,
    private readonly context: SinkContext,
  ) {
    const sink = context.name.replace(/[^A-Za-z0-9_.=]/g, '_');
    const base = `${config.filePrefix}-${sink}`;
    const target = config.target;
    this.store =
      target.kind === 'local'
        ? new LocalTableStore(target.dir, base)
        : new S3TableStore(new S3Client(target.s3), target.s3.prefix, base);
  }

  async recover(): Promise<void> {
    try {
      this.positions = await this.store.recover();
    } catch (error) {
      throw failure(error, `cannot open ${this.store.location}`, { location: this.store.location });
    }
  }

  async committed(): Promise<ReadonlyMap<number, number>> {
    return new Map(this.positions);
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    this.usable();
    const columns = this.config.columns;
    // Every record is checked before any is buffered: a refusal leaves the buffer as it was.
    const rows = new Array<unknown[] | undefined>(records.length);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      if (record.offset < (this.positions.get(record.partition) ?? 0)) continue; // already in committed files
      const row =
        record.value === null ? 'a tombstone (null value) has no row' : rowFromValue(columns, record.value);
      if (typeof row === 'string')
        throw new EngineError('INVALID_RECORD', `parquetSink: record ${record.id}: ${row}`, {
          details: {
            connector: CONNECTOR,
            index: i,
            id: record.id,
            partition: record.partition,
            offset: record.offset,
          },
        });
      rows[i] = row;
    }
    for (let i = 0; i < records.length; i++) {
      const row = rows[i];
      if (row === undefined) continue;
      const record = records[i]!;
      const chunk = this.chunkFor(record);
      for (let c = 0; c < row.length; c++) chunk.values[c]!.push(row[c]);
      if (chunk.rows === 0) chunk.first = record.offset;
      chunk.last = record.offset;
      chunk.rows++;
      chunk.bytes += record.value!.byteLength;
      if (this.bufferedRows === 0) this.firstBufferedAt = this.config.clock();
      this.bufferedRows++;
    }
  }

  async commit(positions: ReadonlyMap<number, number>): Promise<void> {
    this.usable();
    const rows = this.bufferedRows;
    if (
      rows > 0 &&
      rows < this.config.minFileRecords &&
      this.config.clock() - this.firstBufferedAt < this.config.flushEveryMs
    )
      return; // deferred: the positions stay where the files are
    const next = new Map(this.positions);
    let moved = false;
    for (const [partition, offset] of positions)
      if (offset > (next.get(partition) ?? 0)) {
        next.set(partition, offset);
        moved = true;
      }
    if (rows === 0 && !moved) return;
    try {
      const files: TableFile[] = this.chunks.map((chunk) => ({
        dir: chunk.dir,
        name: this.store.fileName(chunk.partition, chunk.first, chunk.last),
        data: this.encode(chunk),
      }));
      await this.store.commit(files, next);
    } catch (error) {
      // The manifest decides: reopening rolls a written manifest forward or drops the temp files.
      this.failed = failure(error, 'commit failed; reopen to recover', { location: this.store.location });
      throw this.failed;
    }
    this.positions = next;
    this.chunks = [];
    this.open.clear();
    this.bufferedRows = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.chunks = [];
    this.open.clear();
    this.bufferedRows = 0;
  }

  private usable(): void {
    if (this.closed)
      throw new EngineError('CONNECTOR_FAILED', 'parquetSink: the writer is closed', {
        retryable: true,
        details: { connector: CONNECTOR },
      });
    if (this.failed !== undefined) throw this.failed;
  }

  private chunkFor(record: SinkRecord): Chunk {
    const dir = this.dirOf(record.timestamp);
    let byDir = this.open.get(record.partition);
    if (byDir === undefined) {
      byDir = new Map();
      this.open.set(record.partition, byDir);
    }
    let chunk = byDir.get(dir);
    if (
      chunk === undefined ||
      chunk.rows >= this.config.rollRecords ||
      chunk.bytes >= this.config.rollBytes
    ) {
      chunk = new Chunk(dir, record.partition, this.config.columns.length);
      byDir.set(dir, chunk);
      this.chunks.push(chunk);
    }
    return chunk;
  }

  /** The directory (relative, '/'-separated) for a record timestamp, cached per hour. */
  private dirOf(timestamp: number): string {
    if (this.config.partitionBy === 'none') return '';
    const hour = Math.floor(timestamp / HOUR);
    if (hour !== this.lastHour) {
      const iso = new Date(hour * HOUR).toISOString(); // 2026-12-07T13:00:00.000Z
      this.lastHour = hour;
      this.lastHourDir =
        this.config.partitionBy === 'date'
          ? `date=${iso.slice(0, 10)}`
          : `date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
    }
    return this.lastHourDir;
  }

  private encode(chunk: Chunk): Uint8Array {
    const columns = this.config.columns;
    const buffer = parquetWriteBuffer({
      columnData: columns.map((column, c) => ({
        name: column.name,
        type: column.type,
        data: chunk.values[c]!,
        nullable: true,
      })),
      rowGroupSize: this.config.rowGroupRows,
      kvMetadata: [
        { key: 'rivulet.sink', value: `${this.context.pipeline}/${this.context.name}` },
        { key: 'rivulet.partition', value: String(chunk.partition) },
        { key: 'rivulet.offsets', value: `${chunk.first}-${chunk.last}` },
      ],
      createdBy: 'rivulet parquetSink (hyparquet-writer)',
    });
    return new Uint8Array(buffer);
  }
}
