import type { Dirent } from 'node:fs';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DataFileNames } from './data-file-names.ts';
import { fsyncDirectory, writeFileDurably } from './durable-file.ts';

/**
 * The commit record of one Parquet sink (`<dir>/_rivulet-<prefix>-<sink>.manifest.json`): the positions
 * of its last commit and the files that commit made visible. It is the commit point: data files are
 * first written as `.<final>.tmp` and fsynced, then the manifest is replaced atomically (temp, fsync,
 * rename, fsync of the directory), and only then are the temp files renamed to their final names. On
 * open, `recoverManifest` finishes the renames of the last commit (roll forward) and removes every other
 * temp file of this sink (a commit that never reached its manifest). Hence a crash leaves no duplicate
 * row, loses no committed row and never leaves a half-written file under a visible (`*.parquet`) name.
 */
export interface ManifestState {
  /** Next outbox offset per partition after the last commit. */
  readonly positions: Map<number, number>;
  /** Paths (relative to the sink's dir) of the files the last commit made visible. */
  readonly files: readonly string[];
}

interface ManifestJson {
  version: 1;
  positions: Array<[number, number]>;
  files: string[];
}

/** A manifest that cannot be recovered from (named 'ManifestError'; the sink maps it to a non-retryable error). */
function manifestError(message: string, cause?: unknown): Error {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = 'ManifestError';
  return error;
}

export class SinkManifest {
  readonly path: string;
  private readonly temp: string;
  readonly names: DataFileNames;
  private readonly tempName: RegExp;

  constructor(
    readonly dir: string,
    readonly base: string,
  ) {
    const name = `_rivulet-${base}.manifest.json`;
    this.path = join(dir, name);
    this.temp = join(dir, `.${name}.tmp`);
    const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.names = new DataFileNames(base);
    this.tempName = new RegExp(
      `^\\.(${escaped}-p\\d+-\\d+-\\d+\\.parquet|_rivulet-${escaped}\\.manifest\\.json)\\.tmp$`,
    );
  }

  /** Stores a commit durably. Resolves once the manifest (and so the commit) survives a crash. */
  async write(state: ManifestState): Promise<void> {
    await this.writeTemp(state);
    await this.publish();
  }

  /** First half of `write`: the manifest's temp file, written and fdatasynced (may run beside other syncs). */
  async writeTemp(state: ManifestState): Promise<void> {
    const json: ManifestJson = { version: 1, positions: [...state.positions], files: [...state.files] };
    await writeFileDurably(this.temp, Buffer.from(JSON.stringify(json)));
  }

  /** Second half: renames the temp file over the manifest and fsyncs the directory. The commit point. */
  async publish(): Promise<void> {
    await rename(this.temp, this.path);
    await fsyncDirectory(this.dir);
  }

  /**
   * Reads the last commit, finishes its renames, removes stray temp files of this sink and returns the
   * committed positions: the manifest's, or (no manifest, e.g. deleted by hand) the highest end offset
   * per partition among the visible data files of this sink.
   */
  async recover(): Promise<Map<number, number>> {
    const state = await this.read();
    if (state !== undefined) {
      const touched = new Set<string>();
      for (const relative of state.files) {
        const final = join(this.dir, relative);
        const temp = join(dirname(final), `.${relative.split('/').pop()}.tmp`);
        try {
          await rename(temp, final);
          touched.add(dirname(final));
        } catch (error) {
          // Already renamed before the crash: the final file is there. Anything else is a lost file.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          await stat(final).catch((cause: unknown) => {
            throw new Error(`committed file ${relative} is missing (neither temp nor final exists)`, {
              cause,
            });
          });
        }
      }
      for (const dir of touched) await fsyncDirectory(dir);
    }
    const derived = new Map<number, number>();
    const strays: string[] = [];
    await this.walk(this.dir, (dir, name) => {
      if (this.tempName.test(name)) strays.push(join(dir, name));
      const parsed = this.names.parse(name);
      if (parsed !== undefined)
        derived.set(parsed.partition, Math.max(derived.get(parsed.partition) ?? 0, parsed.last + 1));
    });
    for (const stray of strays) await rm(stray, { force: true });
    for (const dir of new Set(strays.map((s) => dirname(s)))) await fsyncDirectory(dir);
    return state?.positions ?? derived;
  }

  private async read(): Promise<ManifestState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const json = JSON.parse(text) as ManifestJson;
    if (json.version !== 1 || !Array.isArray(json.positions) || !Array.isArray(json.files))
      throw manifestError(`${this.path} is not a Rivulet Parquet manifest (version 1)`);
    return { positions: new Map(json.positions), files: json.files };
  }

  private async walk(dir: string, visit: (dir: string, name: string) => void): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) await this.walk(join(dir, entry.name), visit);
      else visit(dir, entry.name);
    }
  }
}
