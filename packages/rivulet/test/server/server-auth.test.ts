import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADMIN, READER, type ServerContext, withServer } from './server-harness.ts';

/**
 * Access control over EVERY route the OpenAPI document lists (the document is what the server itself
 * serves at /openapi.json, and a first test checks it lists exactly the routes the server registered):
 * a write route refuses no token and an unknown token with 401 (WWW-Authenticate: Bearer) and the
 * read-only token with 403; a read route is open when no read token is configured, and with one it
 * refuses no token and an unknown token with 401 and serves the read and the admin token.
 */

interface Operation {
  method: string;
  path: string;
  access: 'public' | 'read' | 'write';
  url: string;
}

const SAMPLE_PARAMS = new Map([
  ['topic', 't'],
  ['p', '0'],
  ['name', 'no-such'],
  ['key', 'k'],
  ['path', 'index.html'],
]);

async function operations(ctx: ServerContext, token?: string): Promise<Operation[]> {
  const response = await ctx.call('GET', '/openapi.json', token === undefined ? {} : { token });
  assert.equal(response.status, 200);
  const doc = response.body as {
    openapi: string;
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  assert.equal(doc.openapi, '3.1.0');
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) {
      const access = op['x-rivulet-access'];
      assert.ok(
        access === 'public' || access === 'read' || access === 'write',
        `${method} ${path} has an access class`,
      );
      ops.push({
        method: method.toUpperCase(),
        path: path.replace(/\{([^}]+)\}/g, (_, name: string) => SAMPLE_PARAMS.get(name) ?? 'x'),
        access,
        url: String(op['x-fastify-url']),
      });
    }
  return ops;
}

const key = (method: string, url: string) => `${method} ${url}`;

test('the OpenAPI document lists exactly the routes the server registers (with and without a dashboard)', async () => {
  const dashboardDir = mkdtempSync(join(tmpdir(), 'rivulet-dashboard-'));
  writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>x</title>');
  try {
    for (const options of [{}, { dashboardDir }]) {
      await withServer(options, async (ctx) => {
        const documented = new Set((await operations(ctx)).map((o) => key(o.method, o.url)));
        const registered = new Set(ctx.server.routes.map((r) => key(r.method, r.url)));
        assert.deepEqual(
          [...registered].filter((r) => !documented.has(r)),
          [],
          'registered but not in openapi.json',
        );
        assert.deepEqual(
          [...documented].filter((r) => !registered.has(r)),
          [],
          'in openapi.json but not registered',
        );
        assert.ok(documented.size >= 20);
      });
    }
  } finally {
    rmSync(dashboardDir, { recursive: true, force: true });
  }
});

async function status(ctx: ServerContext, op: Operation, token: string | undefined) {
  const response = await ctx.call(op.method, op.path, {
    ...(token === undefined ? {} : { token }),
    ...(op.method === 'POST' ? { body: {} } : {}),
  });
  return response;
}

test('write routes: 401 without or with an unknown token, 403 with the read-only token', async () => {
  for (const readToken of [undefined, READER]) {
    await withServer(
      { ...(readToken === undefined ? {} : { readToken }), limits: { requestsPerSecond: 100_000 } },
      async (ctx) => {
        await ctx.engine.log.createTopic('t');
        const ops = await operations(ctx, ADMIN);
        const writes = ops.filter((o) => o.access === 'write');
        assert.deepEqual(writes.map((o) => key(o.method, o.url)).sort(), [
          'DELETE /api/topics/:topic',
          'POST /api/pipelines/:name/start',
          'POST /api/pipelines/:name/stop',
          'POST /api/topics',
          'POST /api/topics/:topic/records',
        ]);
        for (const op of writes) {
          for (const token of [undefined, 'wrong-token', `${ADMIN}x`, ADMIN.slice(0, -1)]) {
            const r = await status(ctx, op, token);
            assert.equal(r.status, 401, `${op.method} ${op.path} token ${token}`);
            assert.equal(r.body.code, 'UNAUTHORIZED');
            assert.equal(r.headers.get('www-authenticate'), 'Bearer');
          }
          if (readToken !== undefined) {
            const r = await status(ctx, op, readToken);
            assert.equal(r.status, 403, `${op.method} ${op.path} read token`);
            assert.equal(r.body.code, 'FORBIDDEN');
          }
        }
        // Nothing a refused request asked for happened.
        assert.deepEqual(ctx.engine.log.listTopics(), ['t']);
        assert.equal(ctx.engine.log.partition('t', 0).highWatermark, 0);
      },
    );
  }
});

test('read routes: open without a read token; with one, 401 without or with an unknown token', async () => {
  await withServer({ limits: { requestsPerSecond: 100_000 } }, async (ctx) => {
    await ctx.engine.log.createTopic('t');
    const reads = (await operations(ctx)).filter((o) => o.access === 'read');
    assert.ok(reads.length >= 15);
    for (const op of reads) {
      const r = await status(ctx, op, undefined);
      assert.ok(![401, 403].includes(r.status), `${op.method} ${op.path} open: got ${r.status}`);
    }
  });
  await withServer({ readToken: READER, limits: { requestsPerSecond: 100_000 } }, async (ctx) => {
    await ctx.engine.log.createTopic('t');
    const reads = (await operations(ctx, READER)).filter((o) => o.access === 'read');
    for (const op of reads) {
      for (const token of [undefined, 'wrong-token', `${READER}x`]) {
        const r = await status(ctx, op, token);
        assert.equal(r.status, 401, `${op.method} ${op.path} token ${token}`);
        assert.equal(r.body.code, 'UNAUTHORIZED');
        assert.equal(r.headers.get('www-authenticate'), 'Bearer');
      }
      for (const token of [READER, ADMIN]) {
        const r = await status(ctx, op, token);
        assert.ok(![401, 403].includes(r.status), `${op.method} ${op.path} with a valid token: ${r.status}`);
      }
    }
  });
});
