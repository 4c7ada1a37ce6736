// Child process of parquet-s3-crash.test.ts: writes seq 0..total-1 through parquetSink's S3 target like
// the engine's delivery does (writeLikeDelivery: resuming from committed(), batches of 40, a commit every
// 200 records, each commit's positions printed once it resolved). The parent SIGKILLs it at random
// moments; with CRASH_BEFORE_REQUEST=n the child SIGKILLs itself right before sending its n-th S3 request,
// with CRASH_AFTER_REQUEST=n right after S3 answered its n-th request (before the sink sees the answer).
import { writeLikeDelivery } from 'rivulet/testing';
import { CRASH_PARTITIONS, crashColumns, crashRecord } from './crash-reference.ts';

const before = Number(process.env.CRASH_BEFORE_REQUEST ?? 0);
const after = Number(process.env.CRASH_AFTER_REQUEST ?? 0);
const original = globalThis.fetch;
let requests = 0;
globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
  const n = ++requests;
  if (n === before) process.kill(process.pid, 'SIGKILL');
  const response = await original(...args);
  if (n === after) process.kill(process.pid, 'SIGKILL');
  return response;
};

const { parquetSink } = await import('../src/index.ts');
const [endpoint, prefix, totalText, commitEveryText] = process.argv.slice(2);
const sink = parquetSink({
  s3: {
    endpoint: endpoint!,
    bucket: 'lake',
    prefix: prefix!,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  },
  columns: crashColumns,
  rollRecords: 50,
});
const writer = await sink.open({ pipeline: 'crash', name: 'sink', partitions: CRASH_PARTITIONS });
await writeLikeDelivery(writer, Number(totalText), crashRecord, { commitEvery: Number(commitEveryText) });
