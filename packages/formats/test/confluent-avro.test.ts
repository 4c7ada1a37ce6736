import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createEngine, isEngineError, json, pipeline, topic } from 'rivulet';
import { avro, confluentAvro, createSchemaRegistry } from '../src/index.ts';
import { plain } from './plain.ts';
import { type Exchange, loadFixture, startReplayServer } from './registry-replay-server.ts';

const v1 = {
  type: 'record',
  name: 'User',
  namespace: 'example',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
  ],
};
const v2 = {
  ...v1,
  fields: [...v1.fields, { name: 'email', type: ['null', 'string'], default: null }],
};
type User = { id: number; name: string; email: string | null };

/** The exchanges are read at each request: tests add answers (e.g. a new version) while running. */
const exchanges: Exchange[] = [...loadFixture('users-value'), ...loadFixture('errors')];
let server: Awaited<ReturnType<typeof startReplayServer>>;
before(async () => {
  server = await startReplayServer(exchanges);
});
after(() => server.close());

/** Bytes in the Confluent wire format, built by hand: magic 0, big-endian id, Avro body. */
function framed(id: number, body: Uint8Array, magic = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = magic;
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, body]);
}

const codeOf = (code: string, pattern?: RegExp) => (e: unknown) => {
  assert.ok(isEngineError(e), String(e));
  assert.equal(e.code, code, e.message);
  if (pattern !== undefined) assert.match(e.message, pattern);
  return true;
};

test('confluentAvro: registers the writer schema, preloads every version, frames encode with the id', async () => {
  const registry = createSchemaRegistry({ url: server.url });
  const from = server.received.length;
  const format = await confluentAvro<User>(registry, { subject: 'users-value', schema: v2 });
  assert.deepEqual(
    server.received.slice(from).map((r) => `${r.method} ${r.path}`),
    [
      'POST /subjects/users-value/versions',
      'GET /subjects/users-value/versions',
      'GET /subjects/users-value/versions/1',
      'GET /subjects/users-value/versions/2',
    ],
  );
  assert.equal(format.schemaId, 2);
  assert.deepEqual(format.knownIds(), [1, 2]);
  const user = { id: -(2 ** 53 - 1), name: 'ada', email: 'ada@example.org' };
  const bytes = Buffer.from(format.serde!.encode(user));
  assert.deepEqual(bytes, framed(2, avro(v2).serde!.encode(user)));
  assert.deepEqual(plain(format.serde!.decode(bytes)), user);
});

test('confluentAvro: decode resolves each preloaded writer version to the reader schema', async () => {
  const registry = createSchemaRegistry({ url: server.url });
  const format = await confluentAvro<User>(registry, { subject: 'users-value', schema: v2 });
  const old = framed(1, avro(v1).serde!.encode({ id: 7, name: 'bo' }));
  assert.deepEqual(plain(format.serde!.decode(old)), { id: 7, name: 'bo', email: null });
  // A v1 reader reads v2 data too (the added field is skipped).
  const v1Reader = await confluentAvro(registry, { subject: 'users-value', schema: v2, readerSchema: v1 });
  const recent = framed(2, avro(v2).serde!.encode({ id: 8, name: 'cy', email: 'c@x' }));
  assert.deepEqual(plain(v1Reader.serde!.decode(recent)), { id: 8, name: 'cy' });
});

test('confluentAvro: unknown id -> SCHEMA_NOT_FOUND, wrong magic byte or short bytes -> INVALID_RECORD, bad body -> INVALID_RECORD', async () => {
  const format = await confluentAvro(createSchemaRegistry({ url: server.url }), {
    subject: 'users-value',
    schema: v2,
  });
  const body = avro(v2).serde!.encode({ id: 1, name: 'x', email: null });
  assert.throws(
    () => format.serde!.decode(framed(999, body)),
    (e) =>
      codeOf('SCHEMA_NOT_FOUND', /schema id 999/)(e) &&
      (e as { details: { schemaId: number } }).details.schemaId === 999,
  );
  assert.throws(() => format.serde!.decode(framed(2, body, 1)), codeOf('INVALID_RECORD', /magic byte is 1/));
  assert.throws(() => format.serde!.decode(Buffer.from([0, 0, 0, 2])), codeOf('INVALID_RECORD', /too short/));
  assert.throws(() => format.serde!.decode(framed(2, Buffer.from([0x02]))), codeOf('INVALID_RECORD'));
  assert.throws(
    () => format.serde!.encode({ id: 'x', name: 'n', email: null }),
    codeOf('INVALID_RECORD', /id/),
  );
});

test('confluentAvro: without a schema it writes the latest version; autoRegister false looks the schema up', async () => {
  const registry = createSchemaRegistry({ url: server.url });
  const latest = await confluentAvro(registry, { subject: 'users-value' });
  assert.equal(latest.schemaId, 2);
  const looked = await confluentAvro(registry, { subject: 'users-value', schema: v1, autoRegister: false });
  assert.equal(looked.schemaId, 1);
  assert.deepEqual(
    Buffer.from(looked.serde!.encode({ id: 1, name: 'a' })).subarray(0, 5),
    Buffer.from([0, 0, 0, 0, 1]),
  );
  const missing = { ...v1, fields: [{ name: 'id', type: 'string' }] };
  await assert.rejects(
    confluentAvro(registry, { subject: 'users-value', schema: missing, autoRegister: false }),
    codeOf('SCHEMA_NOT_FOUND'),
  );
  await assert.rejects(
    confluentAvro(registry, { subject: 'users-value', schema: missing }),
    codeOf('SCHEMA_INCOMPATIBLE'),
  );
  await assert.rejects(confluentAvro(registry, { subject: 'missing-value' }), codeOf('SCHEMA_NOT_FOUND'));
  await assert.rejects(confluentAvro(registry, { subject: '' }), codeOf('INVALID_ARGUMENT'));
});

test('confluentAvro: a reader schema the writer cannot resolve to is SCHEMA_INCOMPATIBLE at creation', async () => {
  const registry = createSchemaRegistry({ url: server.url });
  const strict = { ...v1, fields: [...v1.fields, { name: 'age', type: 'int' }] };
  await assert.rejects(
    confluentAvro(registry, { subject: 'users-value', schema: v2, readerSchema: strict }),
    codeOf('SCHEMA_INCOMPATIBLE'),
  );
});

test('confluentAvro: refresh() loads versions registered later; until then their id is SCHEMA_NOT_FOUND', async () => {
  const registry = createSchemaRegistry({ url: server.url });
  const format = await confluentAvro<User>(registry, { subject: 'users-value', schema: v2 });
  const v3 = { ...v2, fields: [...v2.fields, { name: 'vip', type: 'boolean', default: false }] };
  const v3Bytes = framed(3, avro(v3).serde!.encode({ id: 9, name: 'di', email: null, vip: true }));
  assert.throws(() => format.serde!.decode(v3Bytes), codeOf('SCHEMA_NOT_FOUND'));
  // The registry now has version 3 (id 3): answers put in front of the recorded ones.
  const added: Exchange[] = [
    {
      request: { method: 'GET', path: '/subjects/users-value/versions' },
      response: { status: 200, body: [1, 2, 3] },
    },
    {
      request: { method: 'GET', path: '/subjects/users-value/versions/3' },
      response: {
        status: 200,
        body: { subject: 'users-value', id: 3, version: 3, schema: JSON.stringify(v3) },
      },
    },
  ];
  exchanges.unshift(...added);
  try {
    assert.deepEqual(await format.refresh(), [3]);
    assert.deepEqual(format.knownIds(), [1, 2, 3]);
    assert.deepEqual(plain(format.serde!.decode(v3Bytes)), { id: 9, name: 'di', email: null });
    assert.deepEqual(await format.refresh(), [], 'nothing new the second time');
  } finally {
    exchanges.splice(0, added.length);
  }
});

test('confluentAvro in a pipeline: an unknown schema id lands in the DLQ with its context headers while good records flow', async () => {
  const format = await confluentAvro<User>(createSchemaRegistry({ url: server.url }), {
    subject: 'users-value',
    schema: v2,
  });
  const p = pipeline('confluent-dlq');
  p.from('users', topic('users', format))
    .map((u) => ({ id: u.id, name: u.name, email: u.email }))
    .to('out', topic('users-json', json()));

  const inputs = [
    framed(1, avro(v1).serde!.encode({ id: 1, name: 'ada' })),
    framed(999, avro(v2).serde!.encode({ id: 2, name: 'bo', email: null })),
    framed(2, avro(v2).serde!.encode({ id: 3, name: 'cy', email: 'cy@x' })),
    framed(2, Buffer.from([0x06]), 7),
  ];
  const dataDir = mkdtempSync(join(tmpdir(), 'formats-dlq-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await engine.log.createTopic('users');
    await engine.log.append(
      'users',
      0,
      inputs.map((value, i) => ({
        key: Buffer.from(`k${i}`),
        value,
        headers: new Map([['trace', Buffer.from(`t${i}`)]]),
        timestamp: 1000 + i,
      })),
    );
    const run = await engine.run(p, {
      errors: { deserialize: { deadLetter: 'users-dlq' } },
      commitIntervalMs: 20,
    });
    const deadline = Date.now() + 20_000;
    while (run.status().state === 'running' && run.status().lag > 0) {
      assert.ok(Date.now() < deadline, 'the pipeline did not catch up within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await run.stop();
    assert.deepEqual(run.status().errors.deserialize, { skipped: 0, deadLettered: 2 });

    const read = async (name: string) => {
      const consumer = engine.log.createConsumer({ topics: [name], from: 'earliest', maxWaitMs: 20 });
      const records = (await consumer.poll()).flatMap((b) => b.records);
      consumer.close();
      return records;
    };
    assert.deepEqual(
      (await read('users-json')).map((r) => JSON.parse(r.valueString() ?? 'null')),
      [
        { id: 1, name: 'ada', email: null },
        { id: 3, name: 'cy', email: 'cy@x' },
      ],
    );
    const dlq = await read('users-dlq');
    const header = (r: (typeof dlq)[number], name: string) => Buffer.from(r.headers!.get(name)!).toString();
    assert.deepEqual(
      dlq.map((r) => ({
        value: Buffer.from(r.value!),
        key: r.keyString(),
        trace: header(r, 'trace'),
        topic: header(r, 'rivulet.source.topic'),
        partition: header(r, 'rivulet.source.partition'),
        offset: header(r, 'rivulet.source.offset'),
        boundary: header(r, 'rivulet.boundary'),
        code: header(r, 'rivulet.error.code'),
      })),
      [
        {
          value: inputs[1],
          key: 'k1',
          trace: 't1',
          topic: 'users',
          partition: '0',
          offset: '1',
          boundary: 'deserialize',
          code: 'SCHEMA_NOT_FOUND',
        },
        {
          value: inputs[3],
          key: 'k3',
          trace: 't3',
          topic: 'users',
          partition: '0',
          offset: '3',
          boundary: 'deserialize',
          code: 'INVALID_RECORD',
        },
      ],
    );
    assert.match(header(dlq[0]!, 'rivulet.error.message'), /schema id 999/);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
