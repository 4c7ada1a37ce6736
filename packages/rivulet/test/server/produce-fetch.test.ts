import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { partitionForKey } from '../../src/index.ts';
import { ADMIN, type ServerContext, until, withServer } from './server-harness.ts';

/**
 * Produce and consume over HTTP and WebSocket, compared with the input list: what a fetch returns per
 * partition is, in order, what was sent to it (keys, value texts, headers), where a keyed record's
 * partition is murmur2 of its key (computed here) and an explicit one is kept; NDJSON bodies append the
 * same; an Idempotency-Key appends once and refuses another body; a long-poll answers as soon as a
 * record comes and empty after maxWaitMs; a WebSocket tail pushes what is produced after it connected
 * and a foreign Origin is refused; a closed log answers 503.
 */

interface Input {
  key?: string | null;
  value?: unknown;
  valueText?: string | null;
  headers?: Record<string, string>;
  partition?: number;
}

interface Fetched {
  offset: number;
  key: string | null;
  value: string | null;
  json?: unknown;
  headers: Record<string, string>;
}

const PARTITIONS = 3;

function inputs(count: number, seed: number): Input[] {
  const values: unknown[] = [
    { n: 1, s: 'x' },
    'text',
    42,
    null,
    [1, 'two', { three: 3 }],
    true,
    { nested: { deep: [] } },
  ];
  return Array.from({ length: count }, (_, i) => {
    const n = i + seed;
    const record: Input = {};
    if (n % 4 !== 3) record.key = `k${n % 7}`;
    if (n % 5 === 0) record.valueText = `plain ${n} ü`;
    else record.value = values[n % values.length];
    if (n % 3 === 0) record.headers = { trace: `t${n}`, 'x-n': String(n) };
    if (n % 11 === 0) record.partition = n % PARTITIONS;
    return record;
  });
}

const valueText = (r: Input): string | null =>
  'valueText' in r ? (r.valueText ?? null) : JSON.stringify(r.value);

/** Reads partition `p` from 0 to its end over HTTP, `limit` records per request. */
async function fetchAll(ctx: ServerContext, topic: string, p: number, limit: number): Promise<Fetched[]> {
  const out: Fetched[] = [];
  let offset = 0;
  for (;;) {
    const r = await ctx.call(
      'GET',
      `/api/topics/${topic}/partitions/${p}/records?offset=${offset}&limit=${limit}`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body.records);
    if (r.body.records.length === 0) {
      assert.equal(r.body.nextOffset, r.body.highWatermark);
      return out;
    }
    assert.ok(r.body.records.length <= limit);
    offset = r.body.nextOffset;
  }
}

/** The expected per-partition lists: request order, keyed by murmur2, explicit kept, unkeyed per the answer. */
function expectByPartition(
  batches: Array<{ records: Input[]; offsets: Array<{ partition: number; offset: number }> }>,
) {
  const expected = new Map<
    number,
    Array<{
      key: string | null;
      value: string | null;
      headers: Record<string, string>;
      offset: number;
      input: Input;
    }>
  >();
  for (const { records, offsets } of batches) {
    assert.equal(offsets.length, records.length);
    const unkeyedPartitions = new Set<number>();
    records.forEach((r, i) => {
      const answered = offsets[i]!.partition;
      let partition: number;
      if (r.partition !== undefined) partition = r.partition;
      else if (typeof r.key === 'string') partition = partitionForKey(Buffer.from(r.key), PARTITIONS);
      else {
        partition = answered;
        unkeyedPartitions.add(answered);
      }
      assert.equal(answered, partition, `record ${i}'s partition`);
      const list = expected.get(partition) ?? [];
      list.push({
        key: r.key ?? null,
        value: valueText(r),
        headers: r.headers ?? {},
        offset: offsets[i]!.offset,
        input: r,
      });
      expected.set(partition, list);
    });
    assert.ok(unkeyedPartitions.size <= 1, 'the unkeyed records of one request share a partition');
  }
  return expected;
}

function compare(
  got: Fetched[],
  expected: ReturnType<typeof expectByPartition> extends Map<number, infer L> ? L : never,
  p: number,
) {
  assert.equal(got.length, expected.length, `partition ${p} record count`);
  got.forEach((g, i) => {
    const e = expected[i]!;
    assert.equal(g.offset, i, `partition ${p} offsets are dense`);
    assert.equal(g.offset, e.offset, `partition ${p} record ${i}: offset answered by produce`);
    assert.deepEqual(
      { key: g.key, value: g.value, headers: g.headers },
      { key: e.key, value: e.value, headers: e.headers },
      `partition ${p} record ${i}`,
    );
    if ('value' in e.input) assert.deepEqual(g.json, e.input.value, 'json is the value sent');
  });
}

test('produce (JSON) -> fetch returns, per partition and in order, exactly what was sent', async () => {
  await withServer({}, async (ctx) => {
    const created = await ctx.call('POST', '/api/topics', {
      token: ADMIN,
      body: { name: 'rt', partitions: PARTITIONS },
    });
    assert.deepEqual(created, {
      status: 201,
      headers: created.headers,
      body: { name: 'rt', partitions: PARTITIONS },
    });
    const batches: Array<{ records: Input[]; offsets: Array<{ partition: number; offset: number }> }> = [];
    for (let b = 0; b < 6; b++) {
      const records = inputs(17, b * 17);
      const r = await ctx.call('POST', '/api/topics/rt/records', { token: ADMIN, body: { records } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      batches.push({ records, offsets: r.body.offsets });
    }
    const expected = expectByPartition(batches);
    for (let p = 0; p < PARTITIONS; p++) compare(await fetchAll(ctx, 'rt', p, 7), expected.get(p) ?? [], p);
    const described = await ctx.call('GET', '/api/topics/rt');
    assert.deepEqual(
      described.body.partitions.map((p: { highWatermark: number }) => p.highWatermark),
      Array.from({ length: PARTITIONS }, (_, p) => expected.get(p)?.length ?? 0),
    );
    const listed = await ctx.call('GET', '/api/topics');
    assert.deepEqual(
      listed.body.topics.filter((t: { internal: boolean }) => !t.internal),
      [{ name: 'rt', partitions: PARTITIONS, internal: false }],
    );
    // Bad records refuse the whole request, nothing appended.
    for (const bad of [
      { key: 1, value: 1 },
      { value: 1, valueText: 'x' },
      {},
      { value: 1, headers: { h: 1 } },
      { value: 1, partition: 9 },
    ]) {
      const r = await ctx.call('POST', '/api/topics/rt/records', {
        token: ADMIN,
        body: { records: [{ value: 'ok' }, bad] },
      });
      assert.deepEqual([r.status, r.body.code], [400, 'INVALID_RECORD'], JSON.stringify(bad));
    }
    assert.equal(
      (
        await ctx.call('POST', '/api/topics/nope/records', {
          token: ADMIN,
          body: { records: [{ value: 1 }] },
        })
      ).body.code,
      'UNKNOWN_TOPIC',
    );
    const total = [...expected.values()].reduce((n, l) => n + l.length, 0);
    assert.equal(
      ctx.engine.log.describeTopic('rt').partitions.reduce((n, p) => n + p.highWatermark, 0),
      total,
    );
    assert.equal((await ctx.call('POST', '/api/topics', { token: ADMIN, body: { name: 'rt' } })).status, 409);
    assert.equal((await ctx.call('DELETE', '/api/topics/rt', { token: ADMIN })).status, 204);
    assert.equal((await ctx.call('GET', '/api/topics/rt')).body.code, 'UNKNOWN_TOPIC');
  });
});

test('produce NDJSON: one record a line, the same as JSON', async () => {
  await withServer({}, async (ctx) => {
    await ctx.engine.log.createTopic('nd', { partitions: PARTITIONS });
    const records = inputs(40, 5);
    const body = `${records.map((r) => JSON.stringify(r)).join('\n')}\n\n`;
    const r = await ctx.call('POST', '/api/topics/nd/records', {
      token: ADMIN,
      body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const expected = expectByPartition([{ records, offsets: r.body.offsets }]);
    for (let p = 0; p < PARTITIONS; p++) compare(await fetchAll(ctx, 'nd', p, 100), expected.get(p) ?? [], p);
    const broken = await ctx.call('POST', '/api/topics/nd/records', {
      token: ADMIN,
      body: '{"value":1}\n{"value":',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.deepEqual([broken.status, broken.body.code], [400, 'INVALID_JSON']);
  });
});

test('Idempotency-Key: a repeat appends nothing and gets the first answer; another body gets 422', async () => {
  await withServer({}, async (ctx) => {
    await ctx.engine.log.createTopic('idem');
    const partition = ctx.engine.log.partition('idem', 0);
    const body = { records: [{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { value: 3 }] };
    const send = (b: unknown, key: string) =>
      ctx.call('POST', '/api/topics/idem/records', {
        token: ADMIN,
        body: b,
        headers: { 'idempotency-key': key },
      });
    const first = await send(body, 'key-1');
    assert.equal(first.status, 200);
    assert.equal(partition.highWatermark, 3);
    // Sequential and concurrent repeats.
    const repeats = [
      await send(body, 'key-1'),
      ...(await Promise.all([send(body, 'key-1'), send(body, 'key-1')])),
    ];
    for (const r of repeats) assert.deepEqual([r.status, r.body], [200, first.body]);
    assert.equal(partition.highWatermark, 3);
    const reused = await send({ records: [{ value: 'other' }] }, 'key-1');
    assert.deepEqual([reused.status, reused.body.code], [422, 'IDEMPOTENCY_KEY_REUSED']);
    assert.equal(partition.highWatermark, 3);
    // Concurrent first requests with one new key append once.
    const racing = await Promise.all(Array.from({ length: 5 }, () => send(body, 'key-2')));
    for (const r of racing) assert.deepEqual(r.body, racing[0]!.body);
    assert.equal(partition.highWatermark, 6);
    // Without a key, every request appends.
    await ctx.call('POST', '/api/topics/idem/records', { token: ADMIN, body });
    await ctx.call('POST', '/api/topics/idem/records', { token: ADMIN, body });
    assert.equal(partition.highWatermark, 12);
  });
});

test('long-poll fetch answers as soon as a record comes, and empty after maxWaitMs', async () => {
  await withServer({}, async (ctx) => {
    await ctx.engine.log.createTopic('lp');
    const empty0 = performance.now();
    const empty = await ctx.call('GET', '/api/topics/lp/partitions/0/records?offset=0&maxWaitMs=300');
    const waited = performance.now() - empty0;
    assert.deepEqual(empty.body, { records: [], nextOffset: 0, highWatermark: 0 });
    assert.ok(waited >= 290 && waited < 5000, `empty answer after ${waited} ms`);

    const started = performance.now();
    const poll = ctx.call('GET', '/api/topics/lp/partitions/0/records?offset=0&maxWaitMs=20000');
    // Give the request time to reach its wait (if it had not, it would find the record at once: the
    // assertions hold either way).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const produced = performance.now();
    await ctx.call('POST', '/api/topics/lp/records', {
      token: ADMIN,
      body: { records: [{ key: 'k', value: { hello: 'world' } }] },
    });
    const answer = await poll;
    const done = performance.now();
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.body.records.map((r: Fetched) => [r.offset, r.key, r.json]),
      [[0, 'k', { hello: 'world' }]],
    );
    assert.equal(answer.body.nextOffset, 1);
    assert.ok(done - produced < 2000, `answered ${done - produced} ms after the produce`);
    assert.ok(done - started < 15_000);

    for (const bad of ['maxWaitMs=30001', 'limit=0', 'offset=-1', 'offset=abc'])
      assert.equal(
        (await ctx.call('GET', `/api/topics/lp/partitions/0/records?${bad}`)).body.code,
        'INVALID_ARGUMENT',
        bad,
      );
    assert.equal(
      (await ctx.call('GET', '/api/topics/lp/partitions/0/records?offset=5')).body.code,
      'OFFSET_OUT_OF_RANGE',
    );
    assert.equal((await ctx.call('GET', '/api/topics/lp/partitions/7/records')).status, 404);
  });
});

function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
    socket.once('error', reject);
  });
}

test('WebSocket tail pushes the records produced after it connected; a foreign Origin is refused', async () => {
  await withServer({}, async (ctx) => {
    await ctx.engine.log.createTopic('tl', { partitions: 2 });
    const before = await ctx.call('POST', '/api/topics/tl/records', {
      token: ADMIN,
      body: { records: [{ key: 'old', value: 0 }] },
    });
    assert.equal(before.status, 200);
    const wsUrl = `${ctx.server.address.replace('http', 'ws')}/api/topics/tl/tail`;
    const host = new URL(ctx.server.address).host;
    const latest = await openSocket(wsUrl, { origin: `http://${host}` });
    const earliest = await openSocket(`${wsUrl}?from=earliest`);
    const got = new Map<
      WebSocket,
      Array<{ partition: number; offset: number; key: string; value: string; json: unknown }>
    >([
      [latest, []],
      [earliest, []],
    ]);
    for (const [socket, list] of got) socket.on('message', (data) => list.push(JSON.parse(String(data))));
    const records = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: { i } }));
    const produced = await ctx.call('POST', '/api/topics/tl/records', { token: ADMIN, body: { records } });
    assert.equal(produced.status, 200);
    await until(
      () => got.get(latest)!.length >= records.length && got.get(earliest)!.length >= records.length + 1,
      10_000,
      'tail messages',
    );
    const expectedPerPartition = (list: typeof records) => {
      const byP = new Map<number, string[]>();
      for (const r of list) {
        const p = partitionForKey(Buffer.from(r.key), 2);
        byP.set(p, [...(byP.get(p) ?? []), `${r.key}=${JSON.stringify(r.value)}`]);
      }
      return byP;
    };
    const perPartition = (list: Array<{ partition: number; key: string; value: string }>) => {
      const byP = new Map<number, string[]>();
      for (const m of list) byP.set(m.partition, [...(byP.get(m.partition) ?? []), `${m.key}=${m.value}`]);
      return byP;
    };
    assert.deepEqual(perPartition(got.get(latest)!), expectedPerPartition(records));
    assert.deepEqual(
      perPartition(got.get(earliest)!),
      expectedPerPartition([{ key: 'old', value: 0 } as never, ...records]),
    );
    for (const m of got.get(latest)!) assert.equal((m as { type?: string }).type, 'record');
    latest.close();
    earliest.close();

    await assert.rejects(openSocket(wsUrl, { origin: 'http://evil.example' }), /HTTP 403/);
    await assert.rejects(openSocket(wsUrl, { origin: `https://${host}` }), /HTTP 403/);
    await assert.rejects(
      openSocket(`${ctx.server.address.replace('http', 'ws')}/api/topics/none/tail`),
      /HTTP 404/,
    );
  });
});

test('a closed log: produce and fetch answer 503 LOG_UNAVAILABLE, /readyz 503, /healthz 200', async () => {
  await withServer({}, async (ctx) => {
    await ctx.engine.log.createTopic('c');
    assert.deepEqual((await ctx.call('GET', '/readyz')).body, { status: 'ready' });
    await ctx.engine.close();
    const produce = await ctx.call('POST', '/api/topics/c/records', {
      token: ADMIN,
      body: { records: [{ value: 1 }] },
    });
    assert.deepEqual([produce.status, produce.body.code], [503, 'LOG_UNAVAILABLE']);
    const fetched = await ctx.call('GET', '/api/topics/c/partitions/0/records');
    assert.deepEqual([fetched.status, fetched.body.code], [503, 'LOG_UNAVAILABLE']);
    const topics = await ctx.call('GET', '/api/topics');
    assert.deepEqual([topics.status, topics.body.code], [503, 'LOG_UNAVAILABLE']);
    const ready = await ctx.call('GET', '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, 'not-ready');
    assert.ok(ready.body.reasons.length > 0);
    assert.deepEqual((await ctx.call('GET', '/healthz')).body, { status: 'ok' });
  });
});
