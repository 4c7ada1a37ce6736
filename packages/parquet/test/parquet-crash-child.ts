// Child process of parquet-crash.test.ts: writes seq 0..total-1 through parquetSink like the engine's
// delivery does (writeLikeDelivery: resuming from committed(), batches of 40, a commit every 200 records,
// each commit's positions printed once it resolved). The parent SIGKILLs it at random moments; with
// CRASH_AT_STEP=n the child SIGKILLs itself right before its n-th file-system step (open or rename).
import { crashAtFileSystemStep, writeLikeDelivery } from 'rivulet/testing';
import { CRASH_PARTITIONS, crashColumns, crashRecord } from './crash-reference.ts';

crashAtFileSystemStep(Number(process.env.CRASH_AT_STEP ?? 0));
const { parquetSink } = await import('../src/index.ts');

const [dir, totalText] = process.argv.slice(2);
const sink = parquetSink({ dir: dir!, columns: crashColumns, rollRecords: 30 });
const writer = await sink.open({ pipeline: 'crash', name: 'sink', partitions: CRASH_PARTITIONS });
await writeLikeDelivery(writer, Number(totalText), crashRecord);
