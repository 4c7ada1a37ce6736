import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EngineError, type SourceConnector, type SourceFeatures, type SourceReader } from 'rivulet/connector';
import { FileSplitReader } from './file-split-reader.ts';

export interface FileSourceOptions {
  /**
   * A file (`/data/in.jsonl`), a directory (every regular file in it), or a directory and a name pattern
   * in the last segment (`/data/in/*.jsonl`; `*` and `?` wildcards, no sub-directories).
   */
  readonly path: string;
  readonly format: 'jsonl' | 'csv';
  /** CSV: `header: true` takes names from each file's first record; a list names the columns itself. */
  readonly csv?: { readonly header: true | readonly string[]; readonly delimiter?: string };
  /**
   * Tail the files (default false): wait for appended lines, never return a partial last line, follow
   * rotation and truncation (see README). Bounded mode returns the last line even without a newline.
   */
  readonly follow?: boolean;
  /** How often a waiting reader checks the file for growth, also when fs.watch is in use (default 500 ms). */
  readonly pollMs?: number;
  /** Use fs.watch to wake waiting readers promptly (default true); polling alone when false. */
  readonly watch?: boolean;
  /** A CSV quoted field longer than this is treated as an unbalanced quote (default 8 MiB). */
  readonly maxRecordBytes?: number;
}

export interface FileSourceConfig {
  readonly dir: string;
  /** The single file's name when `path` names a file, else undefined (a directory, maybe with a pattern). */
  readonly file: string | undefined;
  readonly pattern: RegExp | undefined;
  readonly format: 'jsonl' | 'csv';
  readonly header: true | readonly string[] | undefined;
  readonly delimiter: number;
  readonly follow: boolean;
  readonly pollMs: number;
  readonly watch: boolean;
  readonly maxRecordBytes: number;
}

export const FILE_SOURCE = 'file';

export function invalidFileOption(message: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `fileSource: ${message}`, {
    details: { connector: FILE_SOURCE },
  });
}

function patternOf(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

function resolve(options: FileSourceOptions): Omit<FileSourceConfig, 'file'> & { path: string } {
  if (options === null || typeof options !== 'object') throw invalidFileOption('options are required');
  if (typeof options.path !== 'string' || options.path === '')
    throw invalidFileOption('`path` must be a non-empty path');
  if (options.format !== 'jsonl' && options.format !== 'csv')
    throw invalidFileOption(`\`format\` must be 'jsonl' or 'csv', got ${JSON.stringify(options.format)}`);
  let header: true | readonly string[] | undefined;
  let delimiter = 0x2c;
  if (options.format === 'csv') {
    const csv = options.csv;
    if (csv === undefined || (csv.header !== true && !Array.isArray(csv.header)))
      throw invalidFileOption('`csv.header` must be true or a list of column names for format csv');
    if (Array.isArray(csv.header)) {
      if (csv.header.length === 0 || csv.header.some((h) => typeof h !== 'string'))
        throw invalidFileOption('`csv.header` must list at least one column name (strings)');
      if (new Set(csv.header).size !== csv.header.length)
        throw invalidFileOption('`csv.header` names a column twice');
    }
    header = csv.header;
    const d = csv.delimiter ?? ',';
    if (
      typeof d !== 'string' ||
      d.length !== 1 ||
      d.charCodeAt(0) > 0x7f ||
      d === '"' ||
      d === '\n' ||
      d === '\r'
    )
      throw invalidFileOption(
        `\`csv.delimiter\` must be one ASCII character other than quote, CR, LF; got ${JSON.stringify(d)}`,
      );
    delimiter = d.charCodeAt(0);
  } else if (options.csv !== undefined) throw invalidFileOption('`csv` options need format csv');
  const pollMs = options.pollMs ?? 500;
  if (!Number.isSafeInteger(pollMs) || pollMs < 1)
    throw invalidFileOption(`\`pollMs\` must be an integer >= 1, got ${pollMs}`);
  const maxRecordBytes = options.maxRecordBytes ?? 8 * 1024 * 1024;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 1)
    throw invalidFileOption(`\`maxRecordBytes\` must be an integer >= 1, got ${maxRecordBytes}`);
  const last = basename(options.path);
  const wild = /[*?]/.test(last);
  if (/[*?]/.test(dirname(options.path)))
    throw invalidFileOption('`path`: wildcards are allowed in the last segment only');
  return {
    path: options.path,
    dir: wild ? dirname(options.path) : options.path,
    pattern: wild ? patternOf(last) : undefined,
    format: options.format,
    header,
    delimiter,
    follow: options.follow ?? false,
    pollMs,
    watch: options.watch ?? true,
    maxRecordBytes,
  };
}

const FEATURES: SourceFeatures = {
  ordered: true,
  persistent: true,
  positioned: true,
  replay: 'exactly-once',
};

/**
 * Reads JSON-lines or CSV files. Splits are the files (sorted names), read in parallel, each in order;
 * files that appear later are not new splits within a run (the engine calls `splits()` once per run).
 * A position is the byte offset after the last record returned (with its line number and the file's
 * inode), so a reopened reader resumes exactly after it: replay is exactly-once.
 */
export function fileSource(options: FileSourceOptions): SourceConnector {
  const resolved = resolve(options);
  let single: Promise<string | undefined> | undefined;
  /** Whether `path` names a file (then its directory is the dir), decided on first use. */
  const config = async (): Promise<FileSourceConfig> => {
    if (resolved.pattern !== undefined) return { ...resolved, file: undefined };
    single ??= stat(resolved.path).then(
      (s) => (s.isDirectory() ? undefined : basename(resolved.path)),
      (error: NodeJS.ErrnoException) => {
        throw new EngineError(
          'CONNECTOR_FAILED',
          `fileSource: cannot stat ${resolved.path}: ${error.message}`,
          {
            cause: error,
            retryable: error.code !== 'ENOENT' && error.code !== 'EACCES',
            details: { connector: FILE_SOURCE, path: resolved.path },
          },
        );
      },
    );
    const file = await single;
    return file === undefined ? { ...resolved, file } : { ...resolved, dir: dirname(resolved.path), file };
  };
  return {
    kind: 'source-connector',
    connector: FILE_SOURCE,
    features: FEATURES,
    async splits(): Promise<readonly string[]> {
      const resolvedConfig = await config();
      if (resolvedConfig.file !== undefined) return [resolvedConfig.file];
      try {
        const entries = await readdir(resolvedConfig.dir, { withFileTypes: true });
        return entries
          .filter(
            (e) =>
              e.isFile() && (resolvedConfig.pattern === undefined || resolvedConfig.pattern.test(e.name)),
          )
          .map((e) => e.name)
          .sort();
      } catch (error) {
        throw new EngineError(
          'CONNECTOR_FAILED',
          `fileSource: cannot list ${resolvedConfig.dir}: ${(error as Error).message}`,
          {
            cause: error,
            details: { connector: FILE_SOURCE, dir: resolvedConfig.dir },
          },
        );
      }
    },
    async open(split: string, position: string | undefined): Promise<SourceReader> {
      const resolvedConfig = await config();
      if (split.includes('/') || split === '..' || split === '.')
        throw new EngineError(
          'SOURCE_POSITION_INVALID',
          `fileSource: ${JSON.stringify(split)} is not a split of this source`,
          {
            details: { connector: FILE_SOURCE, split },
          },
        );
      return FileSplitReader.open(resolvedConfig, split, join(resolvedConfig.dir, split), position);
    },
  };
}
