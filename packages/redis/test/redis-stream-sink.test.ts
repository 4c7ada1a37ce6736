import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { isEngineError, partitionForKey, type SinkRecord } from 'rivulet/connector';
import { redisStreamSink } from '../src/redis-stream-sink.ts';
import { redisStreamSource } from '../src/redis-stream-source.ts';
import { PrivateRedis, SHARED_REDIS_URL } from './private-redis.ts';
import { readStream } from './redis-harness.ts';

const url = SHARED_REDIS_URL;
let client: Redis;
const created: string[] = [];

/** A unique stream and sink context; their keys are deleted after the file. */
function names(partitions?: number) {
  const stream = `rivulet-test:sink:${randomUUID()}`;
  const context = { pipeline: `p-${randomUUID()}`, name: 'out', partitions: 2 };
  const hash = `rivulet:sink:${context.pipeline}:${context.name}`;
  created.push(hash, stream);
  if (partitions !== undefined) for (let p = 0; p < partitions; p++) created.push(`${stream}:${p}`);
  return { stream, context, hash };
}

function record(seq: number, overrides: Partial<SinkRecord> = {}): SinkRecord {
  const partition = seq % 2;
  const offset = Math.floor(seq / 2);
  return {
    key: Buffer.from(`k${seq % 5}`),
    value: Buffer.from(JSON.stringify({ seq })),
    timestamp: 1_700_000_000_000 + seq,
    headers: new Map([['seq', Buffer.from(String(seq))]]),
    partition,
    offset,
    id: `p/out/${partition}/${offset}`,
    ...overrides,
  };
}

function positionsAfter(records: readonly SinkRecord[]): Map<number, number> {
  const positions = new Map<number, number>();
  for (const r of records)
    positions.set(r.partition, Math.max(positions.get(r.partition) ?? 0, r.offset + 1));
  return positions;
}

const seqs = async (stream: string) => (await readStream(client, stream)).map((s) => s.value?.seq);

before(() => {
  client = new Redis(url);
});
after(async () => {
  if (created.length > 0) await client.del(...created);
  client.disconnect();
});

describe('redis-stream sink: options', () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['url', { url: 'localhost:6379', stream: 's' }],
    ['stream', { url }],
    ['partitions', { url, stream: 's', partitions: -2 }],
    ['maxLen', { url, stream: 's', maxLen: 0 }],
    ['maxValueBytes', { url, stream: 's', maxValueBytes: 1.5 }],
  ];
  for (const [option, options] of bad)
    test(`rejects a bad '${option}' with INVALID_ARGUMENT naming it`, () => {
      assert.throws(
        () => redisStreamSink(options as never),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
      );
    });

  test('open against an unreachable server: retryable CONNECTOR_UNAVAILABLE', async () => {
    await assert.rejects(
      redisStreamSink({ url: 'redis://127.0.0.1:1', stream: 's' }).open({
        pipeline: 'p',
        name: 'n',
        partitions: 1,
      }),
      (error: unknown) => isEngineError(error, 'CONNECTOR_UNAVAILABLE') && error.retryable,
    );
  });
});

describe('redis-stream sink: writing', () => {
  test('entry fields: value, key, ts, h:<name>; a null value is an entry without a value field', async () => {
    const { stream, context } = names();
    const writer = await redisStreamSink({ url, stream }).open(context);
    try {
      const records = [record(0), record(1, { value: null, key: null, headers: undefined })];
      await writer.write(records);
      await writer.commit(positionsAfter(records));
    } finally {
      await writer.close();
    }
    const entries = await client.xrange(stream, '-', '+');
    assert.deepEqual(
      entries.map(([, fields]) => fields),
      [
        ['value', '{"seq":0}', 'key', 'k0', 'ts', '1700000000000', 'h:seq', '0'],
        ['ts', '1700000000001'],
      ],
    );
  });

  test('partitioned: a record goes to <stream>:<partitionForKey(key)>, keyless by outbox partition; the source reads them back', async () => {
    const { stream, context } = names(3);
    const records = Array.from({ length: 60 }, (_, i) => record(i, i % 10 === 0 ? { key: null } : {}));
    const writer = await redisStreamSink({ url, stream, partitions: 3 }).open(context);
    try {
      await writer.write(records);
      await writer.commit(positionsAfter(records));
    } finally {
      await writer.close();
    }
    for (let p = 0; p < 3; p++) {
      const want = records
        .filter((r) => (r.key === null ? r.partition % 3 : partitionForKey(r.key, 3)) === p)
        .map((r) => JSON.parse(Buffer.from(r.value!).toString()).seq);
      assert.deepEqual(await seqs(`${stream}:${p}`), want, `partition stream ${p}`);
    }
    const source = redisStreamSource({ url, stream, partitions: 3 });
    const readers = await Promise.all((await source.splits()).map((split) => source.open(split, undefined)));
    try {
      const got = [];
      for (const reader of readers) got.push(...(await reader.poll(100, 100)).records);
      assert.equal(got.length, 60);
      const byseq = new Map(got.map((r) => [JSON.parse(Buffer.from(r.value!).toString()).seq as number, r]));
      const r7 = byseq.get(7)!;
      assert.equal(Buffer.from(r7.key!).toString(), 'k2');
      assert.equal(r7.timestamp, 1_700_000_000_007);
      assert.equal(Buffer.from(r7.headers!.get('seq')!).toString(), '7');
      assert.equal(byseq.get(10)!.key, null);
    } finally {
      await Promise.all(readers.map((r) => r.close()));
    }
  });

  test('records below the committed positions are dropped (already stored)', async () => {
    const { stream, context } = names();
    const sink = redisStreamSink({ url, stream });
    const records = Array.from({ length: 10 }, (_, i) => record(i));
    const first = await sink.open(context);
    await first.write(records.slice(0, 6));
    await first.commit(positionsAfter(records.slice(0, 6)));
    await first.close();
    const second = await sink.open(context);
    try {
      assert.deepEqual(
        await second.committed(),
        new Map([
          [0, 3],
          [1, 3],
        ]),
      );
      await second.write(records); // a replay from the start
      await second.commit(positionsAfter(records));
      assert.deepEqual(await seqs(stream), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      await second.close();
    }
  });

  test('a stale writer cannot commit after another writer of the same sink did (WATCH)', async () => {
    const { stream, context } = names();
    const sink = redisStreamSink({ url, stream });
    const stale = await sink.open(context);
    const fresh = await sink.open(context);
    try {
      await fresh.write([record(0)]);
      await fresh.commit(new Map([[0, 1]]));
      await stale.write([record(0), record(2)]);
      await assert.rejects(stale.commit(new Map([[0, 2]])), (error: unknown) => {
        assert.ok(isEngineError(error, 'CONNECTOR_FAILED'), String(error));
        assert.equal(error.retryable, true);
        return true;
      });
      assert.deepEqual(await seqs(stream), [0]);
      assert.deepEqual(await fresh.committed(), new Map([[0, 1]]));
    } finally {
      await stale.close();
      await fresh.close();
    }
  });

  test('maxLen trims each stream to about that many entries', async () => {
    const { stream, context } = names();
    const writer = await redisStreamSink({ url, stream, maxLen: 100 }).open(context);
    try {
      const records = Array.from({ length: 1000 }, (_, i) => record(i));
      await writer.write(records);
      await writer.commit(positionsAfter(records));
    } finally {
      await writer.close();
    }
    const length = await client.xlen(stream);
    assert.ok(length >= 100 && length < 300, `length ${length}`);
    const stored = await seqs(stream);
    assert.equal(stored.at(-1), 999, 'the newest entries are kept');
  });
});

describe("redis-stream sink: the server's proto-max-bulk-len", () => {
  let server: PrivateRedis;
  before(async () => {
    server = await PrivateRedis.start(['--proto-max-bulk-len', '1mb']);
  });
  after(() => server.stop());

  test('a part over the limit is refused with INVALID_RECORD and its index before anything is written', async () => {
    const admin = new Redis(server.url);
    const stream = `s-${randomUUID()}`;
    // Even with a larger option, the server's limit wins.
    const writer = await redisStreamSink({ url: server.url, stream, maxValueBytes: 10 * 1024 * 1024 }).open({
      pipeline: 'p',
      name: 'n',
      partitions: 2,
    });
    try {
      const limit = 1024 * 1024;
      const records = [
        record(0, { value: Buffer.alloc(limit, 0x61) }),
        record(1),
        record(2, { value: Buffer.alloc(limit + 1, 0x61) }),
      ];
      await assert.rejects(writer.write(records), (error: unknown) => {
        assert.ok(isEngineError(error, 'INVALID_RECORD'), String(error));
        assert.equal(error.details.index, 2);
        return true;
      });
      const headerTooBig = record(3, { headers: new Map([['h', Buffer.alloc(limit + 1)]]) });
      await assert.rejects(writer.write([record(1), headerTooBig]), (error: unknown) => {
        assert.ok(isEngineError(error, 'INVALID_RECORD'));
        assert.equal(error.details.index, 1);
        return true;
      });
      await writer.commit(new Map());
      assert.equal(await admin.xlen(stream), 0, 'nothing of a refused call is written');
      await writer.write([records[0]!, records[1]!]);
      await writer.commit(positionsAfter([records[0]!, records[1]!]));
      assert.equal(await admin.xlen(stream), 2, 'a value at the limit is taken by the server');
      // And the limit is real: the server refuses one byte more from a plain client.
      const plain = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      plain.on('error', () => undefined);
      await assert.rejects(plain.xadd(stream, '*', 'value', Buffer.alloc(limit + 1, 0x61)));
      plain.disconnect();
      assert.equal(await admin.xlen(stream), 2);
    } finally {
      await writer.close();
      admin.disconnect();
    }
  });
});
