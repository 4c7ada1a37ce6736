import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceHarness } from 'rivulet/connector/conformance';
import { fileSource } from '../src/index.ts';

function splitOf(key: string, splits: number): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(hash) % splits;
}

/**
 * Conformance harness: a temp directory with one `part-<n>.jsonl` per split (created empty), read through
 * `<dir>/*.jsonl`; produce appends complete lines, a key always to the same file, with plain fs.
 */
function harness(follow: boolean): SourceHarness {
  return {
    features: { ordered: true, persistent: true, positioned: true, replay: 'exactly-once' },
    partitioned: true,
    restartable: false,
    async create({ splits }) {
      const dir = await mkdtemp(join(tmpdir(), 'rivulet-files-source-'));
      const files = Array.from({ length: splits }, (_, i) => join(dir, `part-${i}.jsonl`));
      for (const file of files) await writeFile(file, '');
      await writeFile(join(dir, 'ignored.txt'), 'not a split\n');
      return {
        source: fileSource({ path: join(dir, '*.jsonl'), format: 'jsonl', follow, pollMs: 20 }),
        async produce(records) {
          const lines = files.map(() => [] as string[]);
          for (const r of records) lines[splitOf(r.key, splits)]!.push(`${r.value}\n`);
          for (let i = 0; i < splits; i++)
            if (lines[i]!.length > 0) await appendFile(files[i]!, lines[i]!.join(''));
        },
        async close() {
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** Follow mode (tailing appended files). */
export const fileSourceHarness: SourceHarness = harness(true);
/** Bounded mode (files read to their current end on every poll). */
export const boundedFileSourceHarness: SourceHarness = harness(false);
