import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { isEngineError, type SourceReader } from 'rivulet/connector';
import { redisStreamSource } from '../src/redis-stream-source.ts';
import { PrivateRedis, SHARED_REDIS_URL } from './private-redis.ts';

const url = SHARED_REDIS_URL;
let client: Redis;
const created: string[] = [];

function streamName(): string {
  const name = `rivulet-test:src:${randomUUID()}`;
  created.push(name);
  return name;
}

function rejectsWith(code: string, check?: (details: Readonly<Record<string, unknown>>) => void) {
  return (error: unknown) => {
    assert.ok(isEngineError(error), `not an EngineError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.details.connector, 'redis-stream');
    check?.(error.details);
    return true;
  };
}

/** Polls until `count` records came or 10 s pass. */
async function readN(reader: SourceReader, count: number) {
  const records = [];
  let position = '';
  const deadline = Date.now() + 10_000;
  while (records.length < count && Date.now() < deadline) {
    const batch = await reader.poll(count - records.length, 100);
    records.push(...batch.records);
    position = batch.position;
  }
  return { records, position };
}

const text = (bytes: Uint8Array | null | undefined) => (bytes == null ? null : Buffer.from(bytes).toString());

before(() => {
  client = new Redis(url);
});
after(async () => {
  if (created.length > 0) await client.del(...created);
  client.disconnect();
});

describe('redis-stream source: options', () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['url', { url: 'http://localhost', stream: 's' }],
    ['url', { stream: 's' }],
    ['stream', { url, stream: '' }],
    ['partitions', { url, stream: 's', partitions: 0 }],
    ['partitions', { url, stream: 's', partitions: 1.5 }],
    ['group', { url, stream: 's', group: 'g' }],
    ['group.consumer', { url, stream: 's', group: { name: 'g' } }],
    ['startFrom', { url, stream: 's', startFrom: 'beginning' }],
    ['count', { url, stream: 's', count: 0 }],
    ['blockMs', { url, stream: 's', blockMs: -1 }],
  ];
  for (const [option, options] of bad)
    test(`rejects a bad '${option}' with INVALID_ARGUMENT naming it`, () => {
      assert.throws(
        () => redisStreamSource(options as never),
        (error: unknown) => {
          assert.ok(isEngineError(error, 'INVALID_ARGUMENT'));
          assert.equal(error.details.option, option);
          assert.match(error.message, new RegExp(`'${option.replace('.', '\\.')}'`));
          return true;
        },
      );
    });

  test('features follow the mode', () => {
    assert.deepEqual(redisStreamSource({ url, stream: 's' }).features, {
      ordered: true,
      persistent: true,
      positioned: true,
      replay: 'exactly-once',
    });
    assert.deepEqual(redisStreamSource({ url, stream: 's', group: { name: 'g', consumer: 'c' } }).features, {
      ordered: false,
      persistent: true,
      positioned: false,
      replay: 'at-least-once',
    });
  });

  test('splits are the stream, or <stream>:<p> per partition; open rejects others', async () => {
    assert.deepEqual(await redisStreamSource({ url, stream: 's' }).splits(), ['s']);
    const source = redisStreamSource({ url, stream: 's', partitions: 3 });
    assert.deepEqual(await source.splits(), ['s:0', 's:1', 's:2']);
    await assert.rejects(source.open('s:3', undefined), (error: unknown) =>
      isEngineError(error, 'INVALID_ARGUMENT'),
    );
  });

  test('open against an unreachable server: retryable CONNECTOR_UNAVAILABLE', async () => {
    const source = redisStreamSource({ url: 'redis://127.0.0.1:1', stream: 's' });
    await assert.rejects(source.open('s', undefined), (error: unknown) => {
      assert.ok(isEngineError(error, 'CONNECTOR_UNAVAILABLE'), String(error));
      assert.equal(error.retryable, true);
      return true;
    });
  });
});

describe('redis-stream source: positions', () => {
  for (const position of ['abc', '12', '1-', '-1', '1-2-3', '18446744073709551616-0', ' 1-0'])
    test(`malformed position '${position}' -> SOURCE_POSITION_INVALID`, async () => {
      const stream = streamName();
      await assert.rejects(
        redisStreamSource({ url, stream }).open(stream, position),
        rejectsWith('SOURCE_POSITION_INVALID', (d) => assert.equal(d.position, position)),
      );
    });

  test('a position whose following entries were trimmed away -> SOURCE_POSITION_INVALID', async () => {
    const stream = streamName();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await client.xadd(stream, '*', 'value', String(i)))!);
    await client.xtrim(stream, 'MAXLEN', 3); // exact trim: entries 0..6 are gone
    const source = redisStreamSource({ url, stream });
    await assert.rejects(source.open(stream, ids[2]), rejectsWith('SOURCE_POSITION_INVALID'));
    // Conservative: right before the first remaining entry nothing was lost, but trimming leaves no
    // trace of which ids it removed, so this is refused too.
    await assert.rejects(source.open(stream, ids[6]), rejectsWith('SOURCE_POSITION_INVALID'));
    // A position at a remaining entry resumes right after it.
    const reader = await source.open(stream, ids[7]);
    try {
      const { records } = await readN(reader, 2);
      assert.deepEqual(
        records.map((r) => text(r.value)),
        ['8', '9'],
      );
    } finally {
      await reader.close();
    }
  });

  test('a position past the end of the stream, or in a missing stream -> SOURCE_POSITION_INVALID', async () => {
    const stream = streamName();
    const id = (await client.xadd(stream, '*', 'value', 'a'))!;
    const [ms, seq] = id.split('-');
    const source = redisStreamSource({ url, stream });
    await assert.rejects(
      source.open(stream, `${ms}-${Number(seq) + 1}`),
      rejectsWith('SOURCE_POSITION_INVALID'),
    );
    const missing = streamName();
    await assert.rejects(
      redisStreamSource({ url, stream: missing }).open(missing, id),
      rejectsWith('SOURCE_POSITION_INVALID'),
    );
    // '0-0' (nothing read yet) is valid for a stream that does not exist yet.
    const reader = await redisStreamSource({ url, stream: missing }).open(missing, '0-0');
    await reader.close();
  });

  test("startFrom 'latest' reads only entries added after open; an id reads after it", async () => {
    const stream = streamName();
    const first = (await client.xadd(stream, '*', 'value', 'old-1'))!;
    await client.xadd(stream, '*', 'value', 'old-2');
    const latest = await redisStreamSource({ url, stream, startFrom: 'latest' }).open(stream, undefined);
    const fromId = await redisStreamSource({ url, stream, startFrom: first }).open(stream, undefined);
    try {
      assert.equal((await latest.poll(10, 100)).records.length, 0);
      await client.xadd(stream, '*', 'value', 'new');
      assert.deepEqual(
        (await readN(latest, 1)).records.map((r) => text(r.value)),
        ['new'],
      );
      assert.deepEqual(
        (await readN(fromId, 2)).records.map((r) => text(r.value)),
        ['old-2', 'new'],
      );
    } finally {
      await latest.close();
      await fromId.close();
    }
  });
});

describe('redis-stream source: records', () => {
  test('value, key, ts and h:<name> fields; provenance headers; timestamp from the id without ts', async () => {
    const stream = streamName();
    const withAll = (await client.xadd(
      stream,
      '*',
      'value',
      Buffer.from([0, 1, 255]),
      'key',
      'k1',
      'ts',
      '1700000000123',
      'h:trace',
      't-1',
      'other',
      'ignored',
    ))!;
    const bare = (await client.xadd(stream, '*', 'key', 'k2'))!;
    const reader = await redisStreamSource({ url, stream }).open(stream, undefined);
    try {
      const { records, position } = await readN(reader, 2);
      assert.equal(position, bare);
      const [a, b] = records;
      assert.deepEqual([...a!.value!], [0, 1, 255]);
      assert.equal(text(a!.key), 'k1');
      assert.equal(a!.timestamp, 1_700_000_000_123);
      assert.deepEqual(
        [...a!.headers!].map(([name, value]) => [name, text(value)]),
        [
          ['trace', 't-1'],
          ['rivulet.source.stream', stream],
          ['rivulet.source.id', withAll],
        ],
      );
      assert.equal(b!.value, null);
      assert.equal(text(b!.key), 'k2');
      assert.equal(b!.timestamp, Number(bare.split('-')[0]));
      assert.equal(text(b!.headers!.get('rivulet.source.id')), bare);
    } finally {
      await reader.close();
    }
  });

  test('a poll with a smaller maxRecords than an earlier read keeps the rest for later polls', async () => {
    const stream = streamName();
    for (let i = 0; i < 20; i++) await client.xadd(stream, '*', 'value', String(i));
    const reader = await redisStreamSource({ url, stream }).open(stream, undefined);
    try {
      const seen: string[] = [];
      for (const max of [7, 1, 5, 100]) {
        const batch = await reader.poll(max, 100);
        assert.ok(batch.records.length <= max);
        seen.push(...batch.records.map((r) => text(r.value)!));
        assert.equal(
          batch.position,
          text(batch.records.at(-1)?.headers?.get('rivulet.source.id')) ?? batch.position,
        );
      }
      assert.deepEqual(
        seen,
        Array.from({ length: 20 }, (_, i) => String(i)),
      );
    } finally {
      await reader.close();
    }
  });
});

describe('redis-stream source: consumer group', () => {
  const group = () => ({ name: `g-${randomUUID()}`, consumer: 'c1' });

  test('uncommitted entries come again on reopen; entries up to the reopen position are acknowledged', async () => {
    const stream = streamName();
    for (let i = 0; i < 10; i++) await client.xadd(stream, '*', 'value', String(i));
    const g = group();
    const source = redisStreamSource({ url, stream, group: g });
    const first = await source.open(stream, undefined);
    const read = await readN(first, 6);
    await first.close(); // no commit
    assert.equal(((await client.xpending(stream, g.name)) as unknown[])[0], 6);
    const second = await source.open(stream, undefined);
    const again = await readN(second, 10);
    assert.deepEqual(
      again.records.map((r) => text(r.value)),
      Array.from({ length: 10 }, (_, i) => String(i)),
      'the six pending entries first, then the rest',
    );
    await second.commit(again.position);
    assert.equal(((await client.xpending(stream, g.name)) as unknown[])[0], 0);
    await second.close();
    // A reopen with a checkpointed position acknowledges what that position covers.
    for (let i = 10; i < 15; i++) await client.xadd(stream, '*', 'value', String(i));
    const third = await source.open(stream, undefined);
    const more = await readN(third, 5);
    assert.equal(read.records.length, 6);
    await third.close();
    const covered = text(more.records[2]!.headers!.get('rivulet.source.id'))!;
    const fourth = await source.open(stream, covered);
    try {
      assert.equal(((await client.xpending(stream, g.name)) as unknown[])[0], 2);
      const rest = await readN(fourth, 2);
      assert.deepEqual(
        rest.records.map((r) => text(r.value)),
        ['13', '14'],
      );
    } finally {
      await fourth.close();
    }
  });

  test('after a reconnect, entries delivered to this consumer but never returned are returned', async () => {
    const server = await PrivateRedis.start();
    const admin = new Redis(server.url);
    try {
      const stream = `s-${randomUUID()}`;
      const g = group();
      const reader = await redisStreamSource({ url: server.url, stream, group: g }).open(stream, undefined);
      for (let i = 0; i < 3; i++) await admin.xadd(stream, '*', 'value', String(i));
      assert.equal((await readN(reader, 3)).records.length, 3);
      for (let i = 3; i < 8; i++) await admin.xadd(stream, '*', 'value', String(i));
      // Another connection reads as the same consumer: entries 3..7 are now pending for c1, as when a
      // reply is lost with its connection. Then the reader's connection is killed.
      await admin.xreadgroup('GROUP', g.name, g.consumer, 'COUNT', 100, 'STREAMS', stream, '>');
      const clients = (await admin.client('LIST')) as string;
      const id = /id=(\d+) [^\n]*name=rivulet-redis-stream/.exec(clients)?.[1];
      assert.ok(id, clients);
      await admin.client('KILL', 'ID', id);
      const after = await readN(reader, 5);
      assert.deepEqual(
        after.records.map((r) => text(r.value)),
        ['3', '4', '5', '6', '7'],
      );
      assert.equal((await reader.poll(10, 200)).records.length, 0, 'nothing twice');
      await reader.close();
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });
});

describe('redis-stream source: server down', () => {
  for (const mode of ['position', 'group'] as const)
    test(`${mode}: a read blocked when the server dies does not hang polls; reading resumes after restart`, async () => {
      const server = await PrivateRedis.start();
      const admin = new Redis(server.url, { maxRetriesPerRequest: null });
      admin.on('error', () => undefined);
      try {
        const stream = `s-${randomUUID()}`;
        const group = mode === 'group' ? { name: 'g', consumer: 'c1' } : undefined;
        const reader = await redisStreamSource({ url: server.url, stream, group, blockMs: 5_000 }).open(
          stream,
          undefined,
        );
        try {
          for (let i = 0; i < 5; i++) await admin.xadd(stream, '*', 'value', String(i));
          const before = await readN(reader, 5);
          assert.equal(before.records.length, 5);
          await reader.commit(before.position);
          // A poll leaves a 5 s blocking read in flight; then the server dies under it.
          const abort = new AbortController();
          const blocked = reader.poll(10, 60_000, abort.signal);
          await new Promise((resolve) => setTimeout(resolve, 100));
          abort.abort();
          assert.equal((await blocked).records.length, 0);
          await server.kill();
          for (let i = 0; i < 3; i++) {
            const started = Date.now();
            const batch = await reader.poll(10, 200);
            assert.equal(batch.records.length, 0);
            assert.ok(
              Date.now() - started < 2_000,
              `a poll while the server is down took ${Date.now() - started} ms`,
            );
          }
          await server.resume();
          for (let i = 5; i < 10; i++) await admin.xadd(stream, '*', 'value', String(i));
          const afterRestart = await readN(reader, 5);
          assert.deepEqual(
            afterRestart.records.map((r) => text(r.value)),
            ['5', '6', '7', '8', '9'],
          );
        } finally {
          await reader.close();
        }
      } finally {
        admin.disconnect();
        await server.stop();
      }
    });
});

/**
 * A TCP proxy to Redis whose `blackhole()` makes the connections open so far swallow everything both
 * ways without closing (a half-open connection, as after a silent network failure); new connections
 * are forwarded normally.
 */
async function startProxy(
  targetPort: number,
): Promise<{ url: string; blackhole(): void; close(): Promise<void> }> {
  const live = new Set<{ client: Socket; upstream: Socket; dead: boolean }>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    const pair = { client, upstream, dead: false };
    live.add(pair);
    client.on('data', (data) => {
      if (!pair.dead) upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (!pair.dead) client.write(data);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      live.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    blackhole: () => {
      for (const pair of live) pair.dead = true;
    },
    close: async () => {
      for (const pair of live) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('redis-stream source: half-open connection', () => {
  test('a read on a connection that silently stops answering is sent again on a new connection', async () => {
    const stream = streamName();
    const port = Number(new URL(url).port);
    const proxy = await startProxy(port);
    try {
      const reader = await redisStreamSource({ url: proxy.url, stream, blockMs: 200 }).open(
        stream,
        undefined,
      );
      try {
        await client.xadd(stream, '*', 'value', 'before');
        assert.deepEqual(
          (await readN(reader, 1)).records.map((r) => text(r.value)),
          ['before'],
        );
        await reader.poll(10, 50); // leaves nothing in flight, or a short read
        proxy.blackhole();
        await client.xadd(stream, '*', 'value', 'during');
        const started = Date.now();
        const got: string[] = [];
        while (got.length === 0 && Date.now() - started < 20_000) {
          const batch = await reader.poll(10, 500);
          got.push(...batch.records.map((r) => text(r.value)!));
        }
        assert.deepEqual(got, ['during'], 'the reader reconnected and read on');
        assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
      } finally {
        await reader.close();
      }
    } finally {
      await proxy.close();
    }
  });
});
