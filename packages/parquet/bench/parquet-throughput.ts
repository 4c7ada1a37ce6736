import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { SinkRecord } from 'rivulet/connector';
import { parquetSink } from '../src/index.ts';

const BATCH = 1000;

function values(records: number): Buffer[] {
  const pad = 'x'.repeat(1024 - 60);
  return Array.from({ length: records }, (_, seq) =>
    Buffer.from(JSON.stringify({ seq, name: `row-${seq}`, pad })),
  );
}

/**
 * Sink rows/s through the connector contract (write 1000 records, commit, repeat: one 1000-row file per
 * commit) versus bare hyparquet-writer in the same run (parse the same 1 KiB JSON values, build the
 * columns, parquetWriteBuffer with the same row group size, write + fdatasync each file, fsync the dir;
 * plain node:fs). Local disk, a fresh temp directory per run, removed afterwards; each side runs 5 times,
 * interleaved, and reports its median.
 */
export async function connectorThroughput(options: {
  records: number;
}): Promise<Array<{ case: string; connectorPerSec: number; barePerSec: number }>> {
  const input = values(options.records);
  const columns = [
    { name: 'seq', type: 'INT64' as const },
    { name: 'name', type: 'STRING' as const },
    { name: 'pad', type: 'STRING' as const },
  ];
  const at = Date.UTC(2026, 11, 7, 13);
  const records: SinkRecord[] = input.map((value, offset) => ({
    key: null,
    value,
    timestamp: at,
    headers: undefined,
    partition: 0,
    offset,
    id: `bench/sink/0/${offset}`,
  }));

  const root = await mkdtemp(join(tmpdir(), 'rivulet-parquet-bench-'));
  let run = 0;
  const connector = async () => {
    const dir = join(root, `connector-${run++}`);
    const started = performance.now();
    const writer = await parquetSink({ dir, columns, partitionBy: 'none' }).open({
      pipeline: 'bench',
      name: 'sink',
      partitions: 1,
    });
    for (let i = 0; i < records.length; i += BATCH) {
      const batch = records.slice(i, i + BATCH);
      await writer.write(batch);
      await writer.commit(new Map([[0, batch[batch.length - 1]!.offset + 1]]));
    }
    await writer.close();
    return records.length / ((performance.now() - started) / 1000);
  };
  const bare = async () => {
    const dir = join(root, `bare-${run++}`);
    await mkdir(dir);
    const started = performance.now();
    for (let i = 0; i < input.length; i += BATCH) {
      const seq: bigint[] = [];
      const name: string[] = [];
      const pad: string[] = [];
      for (const value of input.slice(i, i + BATCH)) {
        const row = JSON.parse(value.toString('utf8')) as { seq: number; name: string; pad: string };
        seq.push(BigInt(row.seq));
        name.push(row.name);
        pad.push(row.pad);
      }
      const buffer = parquetWriteBuffer({
        columnData: [
          { name: 'seq', type: 'INT64', data: seq },
          { name: 'name', type: 'STRING', data: name },
          { name: 'pad', type: 'STRING', data: pad },
        ],
        rowGroupSize: 100_000,
      });
      const handle = await open(join(dir, `bare-${i}.parquet`), 'w');
      await handle.write(new Uint8Array(buffer));
      await handle.datasync();
      await handle.close();
      const dirHandle = await open(dir, 'r');
      await dirHandle.sync();
      await dirHandle.close();
    }
    return input.length / ((performance.now() - started) / 1000);
  };
  try {
    // The machine is shared: each side runs 5 times, interleaved, and the median counts.
    const connectorRuns: number[] = [];
    const bareRuns: number[] = [];
    for (let round = 0; round < 5; round++) {
      connectorRuns.push(await connector());
      bareRuns.push(await bare());
    }
    const median = (runs: number[]) => [...runs].sort((a, b) => a - b)[2]!;
    return [
      {
        case: 'sink-1KiB-commit-per-1000',
        connectorPerSec: median(connectorRuns),
        barePerSec: median(bareRuns),
      },
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
