import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SinkHarness, StoredRecord } from 'rivulet/connector/conformance';
import { fileSink } from '../src/index.ts';

/** Every line of every `<prefix>-<n>.jsonl` file in `dir`, files in name order, parsed as JSON. */
export async function readSinkLines(dir: string, prefix: string): Promise<Array<Record<string, unknown>>> {
  const files = (await readdir(dir)).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.jsonl')).sort();
  const rows: Array<Record<string, unknown>> = [];
  for (const file of files)
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n'))
      if (line !== '') rows.push(JSON.parse(line) as Record<string, unknown>);
  return rows;
}

/** The conformance harness: a fresh temp directory per case, prefix `out`, rolling every 4 KiB. */
export const fileSinkHarness: SinkHarness = {
  guarantee: 'transactional',
  upsert: false,
  ordered: true,
  structured: true,
  restartable: false,
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'rivulet-files-sink-'));
    return {
      sink: fileSink({ dir, prefix: 'out', rollBytes: 4096 }),
      async readAll(): Promise<StoredRecord[]> {
        return (await readSinkLines(dir, 'out')).map((value) => ({
          key: typeof value.key === 'string' ? value.key : null,
          value,
        }));
      },
      async close() {
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};
