import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { DASHBOARD_CSP, findDashboardDir, registerDashboardRoutes } from './dashboard-routes.ts';

let parent: string;
let dir: string;
let app: FastifyInstance;
const INDEX = '<!doctype html><div id="app"></div><script type="module" src="./assets/main-1.js"></script>';

before(async () => {
  parent = mkdtempSync(join(tmpdir(), 'rivulet-dashboard-routes-'));
  dir = join(parent, 'dist');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'main-1.js'), 'console.log(1);');
  // A file next to the served directory, which no URL may reach.
  writeFileSync(join(parent, 'outside.txt'), 'secret');
  app = Fastify();
  app.get('/api/thing', async () => ({ ok: true }));
  registerDashboardRoutes(app, dir);
  await app.ready();
});

after(async () => {
  await app.close();
  rmSync(parent, { recursive: true, force: true });
});

const hardened = (headers: Record<string, unknown>) => {
  assert.equal(headers['content-security-policy'], DASHBOARD_CSP);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
};

test('serves index.html at / and the assets, each with the CSP and hardening headers', async () => {
  const index = await app.inject({ url: '/' });
  assert.equal(index.statusCode, 200);
  assert.equal(index.body, INDEX);
  assert.match(String(index.headers['content-type']), /^text\/html/);
  assert.equal(index.headers['cache-control'], 'no-cache');
  hardened(index.headers);
  const asset = await app.inject({ url: '/assets/main-1.js' });
  assert.equal(asset.statusCode, 200);
  assert.equal(asset.body, 'console.log(1);');
  assert.match(String(asset.headers['cache-control']), /immutable/);
  hardened(asset.headers);
});

test('a missing file is a 404 with the same headers; nothing outside the directory is served', async () => {
  const missing = await app.inject({ url: '/nope.js' });
  assert.equal(missing.statusCode, 404);
  hardened(missing.headers);
  for (const url of ['/../outside.txt', '/%2e%2e/outside.txt', '/assets/..%2f..%2foutside.txt']) {
    const outside = await app.inject({ url });
    assert.notEqual(outside.statusCode, 200, url);
    assert.doesNotMatch(outside.body, /secret/, url);
  }
});

test('API routes keep their own answers and get no dashboard headers', async () => {
  const api = await app.inject({ url: '/api/thing' });
  assert.deepEqual(api.json(), { ok: true });
  assert.equal(api.headers['content-security-policy'], undefined);
});

test('findDashboardDir finds the workspace build when there is one', (t) => {
  const found = findDashboardDir();
  if (found === undefined) return t.skip('the dashboard is not built (npm run build -w @rivulet/dashboard)');
  assert.match(found, /dashboard[/\\]dist$/);
});
