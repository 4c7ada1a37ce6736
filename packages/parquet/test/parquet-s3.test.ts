import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isEngineError, type SinkRecord } from 'rivulet/connector';
import { sinkConformance } from 'rivulet/connector/conformance';
import { freePort } from 'rivulet/testing';
import { type ParquetSinkOptions, parquetSink } from '../src/index.ts';
import { BucketReader, parquetS3SinkHarness, S3Server } from './parquet-s3-harness.ts';

sinkConformance('parquet (s3)', parquetS3SinkHarness);

const context = { pipeline: 'p', name: 'sink', partitions: 2 };
const T0 = Date.UTC(2026, 11, 7, 13, 30);

function record(partition: number, offset: number, n: number, timestamp = T0): SinkRecord {
  return {
    key: null,
    value: Buffer.from(JSON.stringify({ n })),
    timestamp,
    headers: undefined,
    partition,
    offset,
    id: `p/sink/${partition}/${offset}`,
  };
}

let server: S3Server;
let reader: BucketReader;
let tables = 0;
before(async () => {
  server = await S3Server.start();
  reader = new BucketReader(server.endpoint);
});
after(async () => {
  await server?.close();
});

/** A fresh prefix (table) in the shared test server. */
function table(): string {
  return `t${tables++}-${process.pid}/`;
}

function sinkAt(prefix: string, extra: Partial<ParquetSinkOptions> = {}) {
  return parquetSink({ s3: server.target(prefix), columns: { n: 'INT32' }, ...extra });
}

async function ns(key: string): Promise<unknown[]> {
  return (await reader.rows(key)).map((r) => r.n);
}

describe('parquet sink, S3 target', () => {
  test('bad s3 options fail fast with INVALID_ARGUMENT naming the option', () => {
    const columns = { n: 'INT32' } as const;
    const s3 = { endpoint: 'http://127.0.0.1:9', bucket: 'lake', accessKeyId: 'k', secretAccessKey: 's' };
    const refused = (options: unknown, option: string) =>
      assert.throws(
        () => parquetSink(options as ParquetSinkOptions),
        (error: unknown) =>
          isEngineError(error, 'INVALID_ARGUMENT') && error.message.includes(option) && !error.retryable,
        `${JSON.stringify(options)} is refused naming ${option}`,
      );
    refused({ columns }, '`dir`');
    refused({ columns, dir: '/tmp/x', s3 }, '`s3`');
    refused({ columns, s3: { ...s3, endpoint: 'ftp://host' } }, '`s3.endpoint`');
    refused({ columns, s3: { ...s3, endpoint: 'not a url' } }, '`s3.endpoint`');
    refused({ columns, s3: { ...s3, endpoint: undefined } }, '`s3.endpoint`');
    refused({ columns, s3: { ...s3, bucket: 'No_Such' } }, '`s3.bucket`');
    refused({ columns, s3: { ...s3, bucket: '' } }, '`s3.bucket`');
    refused({ columns, s3: { ...s3, prefix: '/abs' } }, '`s3.prefix`');
    refused({ columns, s3: { ...s3, region: 'EU West' } }, '`s3.region`');
    refused({ columns, s3: { ...s3, accessKeyId: '' } }, '`s3.accessKeyId`');
    refused({ columns, s3: { ...s3, secretAccessKey: undefined } }, '`s3.secretAccessKey`');
    refused({ columns, s3: { ...s3, requestTimeoutMs: 0 } }, '`s3.requestTimeoutMs`');
    refused({ columns: [], s3 }, '`columns`');
    assert.equal(parquetSink({ columns, s3 }).guarantee, 'transactional');
  });

  test('objects land under their final keys (prefix, date/hour, offset range) and the manifest holds the positions', async () => {
    const prefix = table();
    const writer = await sinkAt(prefix).open(context);
    assert.deepEqual(
      await reader.keys(prefix),
      [`${prefix}_rivulet-part-sink.manifest.json`],
      'open creates the manifest',
    );
    await writer.write([
      record(0, 0, 0),
      record(1, 0, 1),
      record(0, 1, 2, Date.UTC(2026, 11, 7, 14, 0)),
      record(0, 2, 3),
    ]);
    assert.equal((await reader.keys(prefix)).length, 1, 'nothing is PUT before the commit');
    await writer.commit(
      new Map([
        [0, 3],
        [1, 1],
      ]),
    );
    assert.deepEqual((await reader.keys(prefix)).sort(), [
      `${prefix}_rivulet-part-sink.manifest.json`,
      `${prefix}date=2026-12-07/hour=13/part-sink-p0-0-2.parquet`,
      `${prefix}date=2026-12-07/hour=13/part-sink-p1-0-0.parquet`,
      `${prefix}date=2026-12-07/hour=14/part-sink-p0-1-1.parquet`,
    ]);
    assert.deepEqual(await ns(`${prefix}date=2026-12-07/hour=13/part-sink-p0-0-2.parquet`), [0, 3]);
    assert.deepEqual(await ns(`${prefix}date=2026-12-07/hour=13/part-sink-p1-0-0.parquet`), [1]);
    assert.deepEqual(await ns(`${prefix}date=2026-12-07/hour=14/part-sink-p0-1-1.parquet`), [2]);
    const manifest = JSON.parse(
      Buffer.from((await reader.get(`${prefix}_rivulet-part-sink.manifest.json`))!).toString(),
    );
    assert.deepEqual(manifest.positions, [
      [0, 3],
      [1, 1],
    ]);
    assert.deepEqual(await writer.committed(), new Map(manifest.positions));
    await writer.close();
  });

  test('open deletes this sink’s objects beyond the manifest (a commit that crashed before it), keeps the rest; replays are dropped', async () => {
    const prefix = table();
    const first = await sinkAt(prefix, { partitionBy: 'none' }).open(context);
    await first.write([record(0, 0, 0), record(0, 1, 1)]);
    await first.commit(new Map([[0, 2]]));
    await first.close();
    // What a commit killed between its data PUTs and its manifest PUT leaves, plus objects not ours.
    await reader.put(`${prefix}part-sink-p0-2-9.parquet`, 'uncommitted');
    await reader.put(`${prefix}date=2026-12-09/part-sink-p1-0-3.parquet`, 'uncommitted');
    await reader.put(`${prefix}part-other-p0-2-9.parquet`, 'another sink');
    await reader.put(`${prefix}notes.txt`, 'a user file');
    const second = await sinkAt(prefix, { partitionBy: 'none' }).open(context);
    assert.deepEqual((await reader.keys(prefix)).sort(), [
      `${prefix}_rivulet-part-sink.manifest.json`,
      `${prefix}notes.txt`,
      `${prefix}part-other-p0-2-9.parquet`,
      `${prefix}part-sink-p0-0-1.parquet`,
    ]);
    assert.deepEqual(await second.committed(), new Map([[0, 2]]));
    await second.write([record(0, 1, 1), record(0, 2, 2)]);
    await second.commit(new Map([[0, 3]]));
    assert.deepEqual(await ns(`${prefix}part-sink-p0-2-2.parquet`), [2], 'the replayed row 1 was dropped');
    assert.deepEqual(
      await ns(`${prefix}part-sink-p0-0-1.parquet`),
      [0, 1],
      'the committed object is untouched',
    );
    await second.close();
  });

  test('a missing manifest next to data objects, or a damaged one, fails open for good', async () => {
    const prefix = table();
    await reader.put(`${prefix}part-sink-p0-0-1.parquet`, 'data without a manifest');
    await assert.rejects(
      sinkAt(prefix).open(context),
      (e: unknown) =>
        isEngineError(e, 'CONNECTOR_FAILED') && !e.retryable && e.message.includes('no manifest'),
    );
    assert.ok(
      (await reader.keys(prefix)).includes(`${prefix}part-sink-p0-0-1.parquet`),
      'nothing was deleted',
    );
    const damaged = table();
    await reader.put(`${damaged}_rivulet-part-sink.manifest.json`, '{"half');
    await assert.rejects(
      sinkAt(damaged).open(context),
      (e: unknown) => isEngineError(e, 'CONNECTOR_FAILED') && !e.retryable,
    );
  });

  test('errors: no such bucket and a refused key are CONNECTOR_FAILED (not retryable); no server is CONNECTOR_UNAVAILABLE', async () => {
    const columns = { n: 'INT32' } as const;
    await assert.rejects(
      parquetSink({ columns, s3: server.target(table(), { bucket: 'no-such-bucket' }) }).open(context),
      (e: unknown) =>
        isEngineError(e, 'CONNECTOR_FAILED') &&
        !e.retryable &&
        e.details.status === 404 &&
        e.details.code === 'NoSuchBucket',
    );
    await assert.rejects(
      parquetSink({ columns, s3: server.target(table(), { accessKeyId: 'UNKNOWN' }) }).open(context),
      (e: unknown) => isEngineError(e, 'CONNECTOR_FAILED') && !e.retryable && e.details.status === 403,
    );
    const closedPort = await freePort();
    await assert.rejects(
      parquetSink({
        columns,
        s3: server.target(table(), { endpoint: `http://127.0.0.1:${closedPort}` }),
      }).open(context),
      (e: unknown) => isEngineError(e, 'CONNECTOR_UNAVAILABLE') && e.retryable,
    );
  });

  test('the server goes away during a commit: CONNECTOR_UNAVAILABLE (retryable); a reopened writer commits again', async () => {
    const prefix = table();
    const writer = await sinkAt(prefix, { partitionBy: 'none' }).open(context);
    await writer.write([record(0, 0, 0)]);
    await writer.commit(new Map([[0, 1]]));
    await writer.write([record(0, 1, 1)]);
    await server.stop();
    try {
      await assert.rejects(
        writer.commit(new Map([[0, 2]])),
        (e: unknown) => isEngineError(e, 'CONNECTOR_UNAVAILABLE') && e.retryable,
      );
      await assert.rejects(
        writer.write([record(0, 2, 2)]),
        (e: unknown) => isEngineError(e, 'CONNECTOR_UNAVAILABLE'),
        'the writer stays failed',
      );
    } finally {
      await server.restart();
    }
    await writer.close();
    const again = await sinkAt(prefix, { partitionBy: 'none' }).open(context);
    assert.deepEqual(await again.committed(), new Map([[0, 1]]));
    await again.write([record(0, 1, 1)]);
    await again.commit(new Map([[0, 2]]));
    assert.deepEqual((await reader.keys(prefix)).filter((k) => k.endsWith('.parquet')).sort(), [
      `${prefix}part-sink-p0-0-0.parquet`,
      `${prefix}part-sink-p0-1-1.parquet`,
    ]);
    await again.close();
  });
});
