// Child process of file-sink-crash.test.ts: writes seq 0..total-1 (2 outbox partitions) through fileSink like
// the engine does (resuming from committed(), batches of 40, a commit every 200 records), printing each
// commit's positions once it resolved. The parent SIGKILLs it at random moments; with CRASH_AT_STEP=n the
// child SIGKILLs itself right before its n-th file-system step (open or rename).
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { SinkRecord } from 'rivulet/connector';

const crashAt = Number(process.env.CRASH_AT_STEP ?? 0);
if (crashAt > 0) {
  const fsp = createRequire(import.meta.url)('node:fs/promises') as Record<
    string,
    (...args: unknown[]) => unknown
  >;
  let steps = 0;
  for (const name of ['open', 'rename']) {
    const original = fsp[name]!;
    fsp[name] = (...args: unknown[]) => {
      if (++steps === crashAt) process.kill(process.pid, 'SIGKILL');
      return original(...args);
    };
  }
  syncBuiltinESMExports();
}
const { fileSink } = await import('../src/index.ts');

export function crashRecord(seq: number): SinkRecord {
  const partition = seq % 2;
  const offset = Math.floor(seq / 2);
  return {
    key: null,
    value: Buffer.from(JSON.stringify({ seq, pad: 'x'.repeat(seq % 50) })),
    timestamp: 0,
    headers: undefined,
    partition,
    offset,
    id: `crash/out/${partition}/${offset}`,
  };
}

const [dir, totalText] = process.argv.slice(2);
const total = Number(totalText);
const writer = await fileSink({ dir: dir!, prefix: 'out', rollBytes: 50_000 }).open({
  pipeline: 'crash',
  name: 'out',
  partitions: 2,
});
const committed = (await writer.committed()) ?? new Map<number, number>();
const todo: number[] = [];
for (let seq = 0; seq < total; seq++) {
  const record = crashRecord(seq);
  if (record.offset >= (committed.get(record.partition) ?? 0)) todo.push(seq);
}
const positions = new Map(committed);
let sinceCommit = 0;
for (let i = 0; i < todo.length; i += 40) {
  const batch = todo.slice(i, i + 40).map(crashRecord);
  await writer.write(batch);
  for (const r of batch) positions.set(r.partition, r.offset + 1);
  sinceCommit += batch.length;
  if (sinceCommit >= 200 || i + 40 >= todo.length) {
    await writer.commit(positions);
    sinceCommit = 0;
    process.stdout.write(`${JSON.stringify([...positions])}\n`);
  }
}
await writer.close();
process.stdout.write('done\n');
