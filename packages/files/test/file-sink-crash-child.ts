// Child process of file-sink-crash.test.ts: writes seq 0..total-1 (2 outbox partitions) through fileSink like
// the engine's delivery does (writeLikeDelivery: resuming from committed(), batches of 40, a commit every
// 200 records, each commit's positions printed once it resolved). The parent SIGKILLs it at random
// moments; with CRASH_AT_STEP=n the child SIGKILLs itself right before its n-th file-system step.
import type { SinkRecord } from 'rivulet/connector';
import { crashAtFileSystemStep, writeLikeDelivery } from 'rivulet/testing';

crashAtFileSystemStep(Number(process.env.CRASH_AT_STEP ?? 0));
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
const writer = await fileSink({ dir: dir!, prefix: 'out', rollBytes: 50_000 }).open({
  pipeline: 'crash',
  name: 'out',
  partitions: 2,
});
await writeLikeDelivery(writer, Number(totalText), crashRecord);
