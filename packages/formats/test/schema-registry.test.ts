import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { isEngineError } from 'rivulet';
import { createSchemaRegistry } from '../src/index.ts';
import { loadFixture, startReplayServer } from './registry-replay-server.ts';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const V1 =
  '{"type":"record","name":"User","namespace":"example","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}';
const V2 =
  '{"type":"record","name":"User","namespace":"example","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]}';
const BAD = '{"type":"record","name":"User","namespace":"example","fields":[{"name":"id","type":"string"}]}';

let server: Awaited<ReturnType<typeof startReplayServer>>;
before(async () => {
  server = await startReplayServer([...loadFixture('users-value'), ...loadFixture('errors')]);
});
after(() => server.close());

const codeOf =
  (code: string, more?: (e: { retryable: boolean; details: Record<string, unknown> }) => void) =>
  (e: unknown) => {
    assert.ok(isEngineError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.details.connector, 'schema-registry');
    more?.(e);
    return true;
  };

test('registry: each call sends the documented method, path and headers and reads the documented answer', async () => {
  const registry = createSchemaRegistry({
    url: `${server.url}/`,
    auth: { username: 'key', password: 's3cret' },
  });
  const from = server.received.length;
  assert.equal(await registry.register('users-value', V2), 2);
  assert.deepEqual(await registry.lookup('users-value', V1), {
    subject: 'users-value',
    id: 1,
    version: 1,
    schema: V1,
  });
  assert.deepEqual(await registry.versions('users-value'), [1, 2]);
  assert.deepEqual(await registry.version('users-value', 1), {
    subject: 'users-value',
    id: 1,
    version: 1,
    schema: V1,
  });
  assert.equal((await registry.version('users-value', 'latest')).id, 2);
  assert.deepEqual(await registry.schemaById(1), { schema: V1 });
  assert.equal(await registry.isCompatible('users-value', V2), true);
  assert.equal(await registry.isCompatible('users-value', BAD), false);

  const got = server.received.slice(from);
  assert.deepEqual(
    got.map((r) => `${r.method} ${r.path}`),
    [
      'POST /subjects/users-value/versions',
      'POST /subjects/users-value',
      'GET /subjects/users-value/versions',
      'GET /subjects/users-value/versions/1',
      'GET /subjects/users-value/versions/latest',
      'GET /schemas/ids/1',
      'POST /compatibility/subjects/users-value/versions/latest',
      'POST /compatibility/subjects/users-value/versions/latest',
    ],
  );
  for (const r of got) {
    assert.equal(r.accept, CONTENT_TYPE);
    assert.equal(r.authorization, `Basic ${Buffer.from('key:s3cret').toString('base64')}`);
    if (r.method === 'POST') {
      assert.equal(r.contentType, CONTENT_TYPE);
      assert.equal(typeof (r.body as { schema: unknown }).schema, 'string');
      assert.equal(Object.hasOwn(r.body as object, 'schemaType'), false, 'AVRO is the default and left out');
    } else assert.equal(r.body, undefined);
  }
});

test('registry: ids, numbered versions, registrations and lookups are cached; versions lists and latest are not', async () => {
  const registry = createSchemaRegistry({ url: server.url, auth: { token: 't0k' } });
  const from = server.received.length;
  await Promise.all([registry.schemaById(1), registry.schemaById(1)]);
  await registry.schemaById(1);
  await registry.version('users-value', 2);
  await registry.version('users-value', 2);
  await registry.register('users-value', V2);
  await registry.register('users-value', V2);
  await registry.lookup('users-value', V1);
  await registry.lookup('users-value', V1);
  await registry.versions('users-value');
  await registry.versions('users-value');
  await registry.version('users-value', 'latest');
  await registry.version('users-value', 'latest');
  const got = server.received.slice(from);
  assert.deepEqual(
    got.map((r) => `${r.method} ${r.path}`),
    [
      'GET /schemas/ids/1',
      'GET /subjects/users-value/versions/2',
      'POST /subjects/users-value/versions',
      'POST /subjects/users-value',
      'GET /subjects/users-value/versions',
      'GET /subjects/users-value/versions',
      'GET /subjects/users-value/versions/latest',
      'GET /subjects/users-value/versions/latest',
    ],
  );
  assert.ok(got.every((r) => r.authorization === 'Bearer t0k'));
});

test('registry: error answers map to stable codes', async () => {
  const registry = createSchemaRegistry({ url: server.url });
  await assert.rejects(
    registry.schemaById(999),
    codeOf('SCHEMA_NOT_FOUND', (e) => {
      assert.equal(e.details.errorCode, 40403);
      assert.equal(e.details.status, 404);
      assert.equal(e.retryable, false);
    }),
  );
  await assert.rejects(
    registry.versions('missing-value'),
    codeOf('SCHEMA_NOT_FOUND', (e) => assert.equal(e.details.errorCode, 40401)),
  );
  await assert.rejects(
    registry.version('users-value', 7),
    codeOf('SCHEMA_NOT_FOUND', (e) => assert.equal(e.details.errorCode, 40402)),
  );
  await assert.rejects(registry.lookup('users-value', BAD), codeOf('SCHEMA_NOT_FOUND'));
  await assert.rejects(
    registry.register('users-value', BAD),
    codeOf('SCHEMA_INCOMPATIBLE', (e) => assert.equal(e.details.status, 409)),
  );
  await assert.rejects(
    registry.register('broken-value', BAD),
    codeOf('SCHEMA_INCOMPATIBLE', (e) => assert.equal(e.details.errorCode, 42201)),
  );
  await assert.rejects(
    registry.schemaById(500),
    codeOf('CONNECTOR_UNAVAILABLE', (e) => {
      assert.equal(e.retryable, true);
      assert.equal(e.details.errorCode, 50001);
    }),
  );
  await assert.rejects(
    registry.versions('secret-value'),
    codeOf('CONNECTOR_FAILED', (e) => {
      assert.equal(e.retryable, false);
      assert.equal(e.details.status, 401);
    }),
  );
  // A failed request is not cached: asking again asks the server again.
  const before = server.received.filter((r) => r.path === '/schemas/ids/999').length;
  await assert.rejects(registry.schemaById(999), codeOf('SCHEMA_NOT_FOUND'));
  assert.equal(server.received.filter((r) => r.path === '/schemas/ids/999').length, before + 1);
});

test('registry: an unreachable server is CONNECTOR_UNAVAILABLE (retryable)', async () => {
  // A port that was free a moment ago: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const registry = createSchemaRegistry({ url: `http://127.0.0.1:${port}` });
  await assert.rejects(
    registry.schemaById(1),
    codeOf('CONNECTOR_UNAVAILABLE', (e) => assert.equal(e.retryable, true)),
  );
});

test('registry: the injected fetch is used, and a timeout is CONNECTOR_UNAVAILABLE', async () => {
  const calls: string[] = [];
  const hanging: typeof fetch = (input, init) => {
    calls.push(String(input));
    return new Promise((_, reject) =>
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason ?? new Error('aborted'))),
    );
  };
  const registry = createSchemaRegistry({
    url: 'http://registry.invalid:8081',
    fetch: hanging,
    timeoutMs: 50,
  });
  await assert.rejects(registry.versions('users-value'), codeOf('CONNECTOR_UNAVAILABLE'));
  assert.deepEqual(calls, ['http://registry.invalid:8081/subjects/users-value/versions']);
});

test('registry: subjects are URL-encoded in paths', async () => {
  const calls: string[] = [];
  const recording: typeof fetch = async (input) => {
    calls.push(String(input));
    return new Response('[1]', { status: 200 });
  };
  const registry = createSchemaRegistry({ url: 'http://r:1', fetch: recording });
  assert.deepEqual(await registry.versions('a/b c'), [1]);
  assert.deepEqual(calls, ['http://r:1/subjects/a%2Fb%20c/versions']);
});

test('registry: bad options and arguments are INVALID_ARGUMENT naming them', async () => {
  const bad: Array<[unknown, RegExp]> = [
    [{}, /url/],
    [{ url: 'not a url' }, /url/],
    [{ url: 'ftp://x' }, /url/],
    [{ url: 'http://x', auth: { username: 'u' } }, /auth/],
    [{ url: 'http://x', fetch: 3 }, /fetch/],
    [{ url: 'http://x', timeoutMs: 0 }, /timeoutMs/],
  ];
  for (const [options, pattern] of bad)
    assert.throws(
      () => createSchemaRegistry(options as never),
      (e) => isEngineError(e, 'INVALID_ARGUMENT') && pattern.test(e.message),
    );
  const registry = createSchemaRegistry({ url: server.url });
  await assert.rejects(registry.schemaById(-1), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(registry.version('users-value', 0), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(registry.versions(''), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(registry.register('users-value', ''), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
});
