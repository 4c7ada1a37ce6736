import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import type { SinkHarness, StoredRecord } from 'rivulet/connector/conformance';
import { parquetSink } from '../src/index.ts';

/** Every visible data file under `dir` (recursively), relative paths, hidden temp files excluded. */
export async function parquetFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.parquet') && !entry.name.startsWith('.'))
        found.push(relative(dir, path));
    }
  };
  await walk(dir);
  return found;
}

/** Reads one Parquet file with hyparquet (an independent reader); INT64 values become numbers. */
export async function readParquetRows(path: string): Promise<Array<Record<string, unknown>>> {
  const bytes = await readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = await parquetReadObjects({ file });
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(row))
      out[name] = typeof value === 'bigint' ? Number(value) : value;
    return out;
  });
}

/** Sorts data file names by outbox partition, then first offset (`...-p<partition>-<first>-<last>.parquet`). */
function byOutboxOrder(files: string[]): string[] {
  const key = (f: string) => {
    const m = /-p(\d+)-(\d+)-(\d+)\.parquet$/.exec(f);
    return m === null ? [Number.MAX_SAFE_INTEGER, 0] : [Number(m[1]), Number(m[2])];
  };
  return [...files].sort((a, b) => {
    const [pa, fa] = key(a);
    const [pb, fb] = key(b);
    return pa! - pb! || fa! - fb!;
  });
}

/** The conformance harness: a fresh temp directory per case, columns `key` STRING and `seq` INT64. */
export const parquetSinkHarness: SinkHarness = {
  guarantee: 'transactional',
  upsert: false,
  ordered: true,
  structured: true,
  restartable: false,
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'rivulet-parquet-'));
    const sink = parquetSink({
      dir,
      columns: [
        { name: 'key', type: 'STRING' },
        { name: 'seq', type: 'INT64' },
      ],
    });
    return {
      sink,
      async readAll(): Promise<StoredRecord[]> {
        const stored: StoredRecord[] = [];
        for (const file of byOutboxOrder(await parquetFiles(dir)))
          for (const row of await readParquetRows(join(dir, file)))
            stored.push({ key: typeof row.key === 'string' ? row.key : null, value: row });
        return stored;
      },
      async close() {
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};
