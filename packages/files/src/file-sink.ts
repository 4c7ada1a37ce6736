import { type FileHandle, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EngineError,
  isEngineError,
  type SinkConnector,
  type SinkContext,
  type SinkRecord,
  type SinkWriter,
} from 'rivulet/connector';

export interface FileSinkOptions {
  /** Directory of the output files (created if missing). */
  readonly dir: string;
  /** File names `<prefix>-<n>.jsonl` (n zero-padded to 6 digits, from 000000) and `<prefix>.manifest.json`. */
  readonly prefix: string;
  readonly format?: 'jsonl';
  /** At a commit, start the next file once the current one holds this many bytes. Default: never. */
  readonly rollBytes?: number;
  /** At a commit, start the next file once the current one is this old (ms). Default: never. */
  readonly rollMs?: number;
  /** Milliseconds since the epoch, for rollMs (tests inject a manual clock). Default Date.now. */
  readonly clock?: () => number;
}

const CONNECTOR = 'file';
const LF = 0x0a;
const CR = 0x0d;

interface FileSinkManifest {
  version: 1;
  /** The current file's number. Files before it are complete; files after it do not exist. */
  file: number;
  /** Committed bytes of the current file; anything after them is an uncommitted tail. */
  size: number;
  openedAt: number;
  positions: Array<[number, number]>;
}

function invalid(message: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `fileSink: ${message}`, { details: { connector: CONNECTOR } });
}

function failure(error: unknown, what: string, details: Record<string, unknown>): EngineError {
  if (isEngineError(error)) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  // A damaged manifest (not JSON, unknown version): reopening cannot help.
  const damaged = error instanceof SyntaxError || /unknown version/.test((error as Error)?.message ?? '');
  const permanent =
    damaged || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR';
  return new EngineError('CONNECTOR_FAILED', `fileSink: ${what}: ${(error as Error)?.message ?? error}`, {
    cause: error,
    retryable: !permanent,
    details: { connector: CONNECTOR, ...details },
  });
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A transactional JSON-lines file sink. `write` validates and buffers lines in memory; `commit` appends
 * them to the current file, fdatasyncs it and then records `{ file, size, positions }` in the sidecar
 * manifest (temp, fsync, rename, fsync of the directory): the manifest is the commit point. `open`
 * truncates the current file back to the manifest's size (a commit that crashed before its manifest left
 * an uncommitted tail) and deletes files after it, so after any crash the files hold each committed
 * record exactly once, in outbox order per partition. Rotation happens at a commit: when rollBytes or
 * rollMs is exceeded, the next file is created (and fsynced into the directory) and the manifest moves to
 * it. Files before the current one are never written again.
 */
export function fileSink(options: FileSinkOptions): SinkConnector {
  if (options === null || typeof options !== 'object') throw invalid('options are required');
  if (typeof options.dir !== 'string' || options.dir === '') throw invalid('`dir` must be a non-empty path');
  if (typeof options.prefix !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(options.prefix))
    throw invalid(`\`prefix\` must be letters, digits, '_', '.', '-', got ${JSON.stringify(options.prefix)}`);
  if ((options.format ?? 'jsonl') !== 'jsonl')
    throw invalid(`\`format\` must be 'jsonl', got ${JSON.stringify(options.format)}`);
  for (const name of ['rollBytes', 'rollMs'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
      throw invalid(`\`${name}\` must be an integer >= 1, got ${JSON.stringify(value)}`);
  }
  if (options.clock !== undefined && typeof options.clock !== 'function')
    throw invalid('`clock` must be a function');
  const config = {
    dir: options.dir,
    prefix: options.prefix,
    rollBytes: options.rollBytes ?? Number.POSITIVE_INFINITY,
    rollMs: options.rollMs ?? Number.POSITIVE_INFINITY,
    clock: options.clock ?? Date.now,
  };
  return {
    kind: 'sink-connector',
    connector: CONNECTOR,
    guarantee: 'transactional',
    async open(_context: SinkContext): Promise<SinkWriter> {
      try {
        return await FileSinkWriter.open(config);
      } catch (error) {
        throw failure(error, `cannot open ${config.dir}`, { dir: config.dir });
      }
    },
  };
}

type FileSinkConfig = Required<Pick<FileSinkOptions, 'dir' | 'prefix' | 'rollBytes' | 'rollMs' | 'clock'>>;

/** The name of file `n` of a file sink: `<prefix>-<n, 6 digits>.jsonl`. */
export function fileSinkFileName(prefix: string, n: number): string {
  return `${prefix}-${String(n).padStart(6, '0')}.jsonl`;
}

class FileSinkWriter implements SinkWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failed: EngineError | undefined;
  private closed = false;

  private constructor(
    private readonly config: FileSinkConfig,
    private handle: FileHandle,
    private manifest: FileSinkManifest,
    private positions: Map<number, number>,
  ) {}

  static async open(config: FileSinkConfig): Promise<FileSinkWriter> {
    await mkdir(config.dir, { recursive: true });
    const manifestPath = join(config.dir, `${config.prefix}.manifest.json`);
    let manifest: FileSinkManifest;
    try {
      manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as FileSinkManifest;
      if (manifest.version !== 1) throw new Error(`${manifestPath}: unknown version ${manifest.version}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      manifest = { version: 1, file: 0, size: 0, openedAt: config.clock(), positions: [] };
    }
    // Files after the current one come from a rotation whose manifest never landed: they hold nothing committed.
    const names = new RegExp(`^${config.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)\\.jsonl$`);
    let removed = false;
    for (const name of await readdir(config.dir)) {
      const match = names.exec(name);
      if (
        (match !== null && Number(match[1]) > manifest.file) ||
        name === `.${config.prefix}.manifest.json.tmp`
      ) {
        await rm(join(config.dir, name), { force: true });
        removed = true;
      }
    }
    const handle = await open(join(config.dir, fileSinkFileName(config.prefix, manifest.file)), 'a');
    try {
      const { size } = await handle.stat();
      if (size < manifest.size)
        throw new EngineError(
          'CONNECTOR_FAILED',
          `fileSink: ${fileSinkFileName(config.prefix, manifest.file)} has ${size} bytes, fewer than the ${manifest.size} committed`,
          { retryable: false, details: { connector: CONNECTOR, dir: config.dir } },
        );
      if (size > manifest.size) {
        await handle.truncate(manifest.size); // the uncommitted tail of a crashed commit
        await handle.datasync();
      }
      if (removed || size === 0) await fsyncDirectory(config.dir);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new FileSinkWriter(config, handle, manifest, new Map(manifest.positions));
  }

  async committed(): Promise<ReadonlyMap<number, number>> {
    return new Map(this.positions);
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    this.usable();
    // Every record is checked before any is buffered: a refusal leaves the buffer as it was.
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const problem = lineProblem(record.value);
      if (problem !== undefined)
        throw new EngineError('INVALID_RECORD', `fileSink: record ${record.id}: ${problem}`, {
          details: {
            connector: CONNECTOR,
            index: i,
            id: record.id,
            partition: record.partition,
            offset: record.offset,
          },
        });
    }
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      if (record.offset < (this.positions.get(record.partition) ?? 0)) continue; // replayed: already committed
      const value = record.value!;
      this.pending.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength), NEWLINE);
      this.pendingBytes += value.byteLength + 1;
    }
  }

  async commit(positions: ReadonlyMap<number, number>): Promise<void> {
    this.usable();
    let moved = false;
    const next = new Map(this.positions);
    for (const [partition, offset] of positions)
      if (offset > (next.get(partition) ?? 0)) {
        next.set(partition, offset);
        moved = true;
      }
    const now = this.config.clock();
    const size = this.manifest.size + this.pendingBytes;
    const roll =
      size > 0 && (size >= this.config.rollBytes || now - this.manifest.openedAt >= this.config.rollMs);
    if (this.pendingBytes === 0 && !moved && !roll) return;
    try {
      const entries = [...next];
      const manifest: FileSinkManifest = { ...this.manifest, size, positions: entries };
      // The data and the manifest's temp file are fdatasynced concurrently (one journal commit can serve
      // both); the manifest is renamed into place, the commit point, only once both are on disk.
      const temp = this.writeManifestTemp(manifest);
      temp.catch(() => undefined); // awaited below; a data write failure must not leave it unhandled
      if (this.pendingBytes > 0) {
        const data = Buffer.concat(this.pending, this.pendingBytes);
        let written = 0;
        while (written < data.length) written += (await this.handle.write(data, written)).bytesWritten;
        await Promise.all([this.handle.datasync(), temp]);
      } else await temp;
      await this.publishManifest(manifest);
      if (roll) {
        const n = this.manifest.file + 1;
        const handle = await open(join(this.config.dir, fileSinkFileName(this.config.prefix, n)), 'a');
        await fsyncDirectory(this.config.dir);
        const rolled: FileSinkManifest = { version: 1, file: n, size: 0, openedAt: now, positions: entries };
        await this.writeManifestTemp(rolled);
        await this.publishManifest(rolled);
        await this.handle.close();
        this.handle = handle;
      }
    } catch (error) {
      this.failed = failure(error, 'commit failed; reopen to recover', { dir: this.config.dir });
      throw this.failed;
    }
    this.positions = next;
    this.pending = [];
    this.pendingBytes = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.close();
  }

  private usable(): void {
    if (this.closed)
      throw new EngineError('CONNECTOR_FAILED', 'fileSink: the writer is closed', {
        details: { connector: CONNECTOR },
      });
    if (this.failed !== undefined) throw this.failed;
  }

  private get manifestPath(): string {
    return join(this.config.dir, `${this.config.prefix}.manifest.json`);
  }

  private get manifestTemp(): string {
    return join(this.config.dir, `.${this.config.prefix}.manifest.json.tmp`);
  }

  /** Writes and fdatasyncs the manifest's temp file. */
  private async writeManifestTemp(manifest: FileSinkManifest): Promise<void> {
    const handle = await open(this.manifestTemp, 'w');
    try {
      await handle.write(JSON.stringify(manifest));
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Renames the temp manifest into place and fsyncs the directory: from here on the commit survives a crash. */
  private async publishManifest(manifest: FileSinkManifest): Promise<void> {
    await rename(this.manifestTemp, this.manifestPath);
    await fsyncDirectory(this.config.dir);
    this.manifest = manifest;
  }
}

const NEWLINE = Buffer.from('\n');

/** Why a value cannot be one JSON line, or undefined when it can. */
function lineProblem(value: Uint8Array | null): string | undefined {
  if (value === null) return 'a tombstone (null value) has no line';
  if (value.indexOf(LF) >= 0 || value.indexOf(CR) >= 0) return 'the value contains a line break';
  try {
    JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  } catch (error) {
    return `the value is not JSON (${(error as Error).message})`;
  }
  return undefined;
}
