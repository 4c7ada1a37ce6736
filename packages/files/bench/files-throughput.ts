import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SinkRecord } from 'rivulet/connector';
import { fileSink, fileSource } from '../src/index.ts';

const BATCH = 1000;

function lines(records: number): Buffer[] {
  const pad = 'x'.repeat(1024 - 40);
  return Array.from({ length: records }, (_, seq) => Buffer.from(JSON.stringify({ seq, pad })));
}

/**
 * Records/s through the connector contract versus the same node:fs used bare in the same run, 1 KiB JSON
 * lines, a fresh temp directory removed afterwards:
 * - source: open + poll(1000) until the file is read, vs a read stream (256 KiB reads, like the connector) split on LF (Buffer.indexOf,
 *   zero-copy sub-arrays, like the connector) and vs node:readline (strings);
 * - sink: write(1000) + commit, vs a file handle appending 1000 lines then fdatasync.
 * Each case runs 5 times, interleaved with the others, and reports its median (the machine is shared).
 */
export async function connectorThroughput(options: {
  records: number;
}): Promise<Array<{ case: string; connectorPerSec: number; barePerSec: number }>> {
  const values = lines(options.records);
  const dir = await mkdtemp(join(tmpdir(), 'rivulet-files-bench-'));
  try {
    const input = join(dir, 'in.jsonl');
    await writeFile(input, Buffer.concat(values.flatMap((v) => [v, Buffer.from('\n')])));
    const records: SinkRecord[] = values.map((value, offset) => ({
      key: null,
      value,
      timestamp: 0,
      headers: undefined,
      partition: 0,
      offset,
      id: `bench/out/0/${offset}`,
    }));
    const newline = Buffer.from('\n');
    let run = 0;
    const perSec = async (body: () => Promise<number>) => {
      const started = performance.now();
      const count = await body();
      if (count !== values.length) throw new Error(`counted ${count} of ${values.length} records`);
      return count / ((performance.now() - started) / 1000);
    };
    const cases = {
      source: () =>
        perSec(async () => {
          const source = fileSource({ path: input, format: 'jsonl' });
          const reader = await source.open((await source.splits())[0]!, undefined);
          let count = 0;
          for (;;) {
            const batch = await reader.poll(BATCH, 0);
            if (batch.records.length === 0) break;
            count += batch.records.length;
          }
          await reader.close();
          return count;
        }),
      split: () =>
        perSec(async () => {
          let count = 0;
          let rest: Buffer = Buffer.alloc(0);
          const out: Buffer[] = [];
          for await (const chunk of createReadStream(input, {
            highWaterMark: 256 * 1024,
          }) as AsyncIterable<Buffer>) {
            const data = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
            let start = 0;
            for (let lf = data.indexOf(10, start); lf >= 0; lf = data.indexOf(10, start)) {
              out.push(data.subarray(start, lf));
              start = lf + 1;
            }
            rest = data.subarray(start);
            count += out.length;
            out.length = 0;
          }
          return count;
        }),
      readline: () =>
        perSec(async () => {
          let count = 0;
          for await (const line of createInterface({
            input: createReadStream(input),
            crlfDelay: Number.POSITIVE_INFINITY,
          }))
            if (line.length > 0) count++;
          return count;
        }),
      sink: () =>
        perSec(async () => {
          const writer = await fileSink({ dir, prefix: `out${run++}` }).open({
            pipeline: 'bench',
            name: 'out',
            partitions: 1,
          });
          for (let i = 0; i < records.length; i += BATCH) {
            const batch = records.slice(i, i + BATCH);
            await writer.write(batch);
            await writer.commit(new Map([[0, batch[batch.length - 1]!.offset + 1]]));
          }
          await writer.close();
          return records.length;
        }),
      bareSink: () =>
        perSec(async () => {
          const handle = await open(join(dir, `bare${run++}.jsonl`), 'a');
          for (let i = 0; i < values.length; i += BATCH) {
            await handle.write(Buffer.concat(values.slice(i, i + BATCH).flatMap((v) => [v, newline])));
            await handle.datasync();
          }
          await handle.close();
          return values.length;
        }),
    };
    // The machine is shared: each case runs 5 times, interleaved, and the median counts.
    const runs = new Map<keyof typeof cases, number[]>();
    for (let round = 0; round < 5; round++)
      for (const name of Object.keys(cases) as Array<keyof typeof cases>)
        runs.set(name, [...(runs.get(name) ?? []), await cases[name]()]);
    const median = (name: keyof typeof cases) => [...runs.get(name)!].sort((a, b) => a - b)[2]!;
    const results = [
      {
        case: 'source-jsonl-1KiB vs stream split',
        connectorPerSec: median('source'),
        barePerSec: median('split'),
      },
      {
        case: 'source-jsonl-1KiB vs readline',
        connectorPerSec: median('source'),
        barePerSec: median('readline'),
      },
      {
        case: 'sink-jsonl-1KiB-fsync-per-1000',
        connectorPerSec: median('sink'),
        barePerSec: median('bareSink'),
      },
    ];
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
