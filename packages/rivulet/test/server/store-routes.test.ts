import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, partitionForKey, startServer } from '../../src/index.ts';
import { byKeyPipeline } from '../runtime/fixtures/by-key-pipeline.ts';

/**
 * The HTTP state API over a real engine and a real socket: after the pipeline has checkpointed every
 * input, `GET /stores/:name/:key` answers each key's sum as a plain loop computes it, range and prefix
 * scans return the keys in order within their limit, and bad requests get the documented codes.
 */
test('GET /stores/:name/:key and range scans answer the committed state; errors carry stable codes', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-http-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  const server = await startServer(engine);
  try {
    await engine.log.createTopic('purchases', { partitions: 2 });
    const expected = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const user = `u${(i * 11) % 23}`;
      const amount = (i * 13) % 50;
      expected.set(user, (expected.get(user) ?? 0) + amount);
      await engine.log.append('purchases', partitionForKey(Buffer.from(user), 2), [
        {
          key: Buffer.from(user),
          value: Buffer.from(JSON.stringify({ amount })),
          headers: undefined,
          timestamp: i,
        },
      ]);
    }
    const run = await engine.run(byKeyPipeline(), { commitIntervalMs: 20 });
    while (run.status().lag > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const get = async (path: string) => {
      const response = await fetch(`${server.address}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    // The lag is 0 once a checkpoint covers every input: the committed state is complete.
    for (const [user, sum] of expected)
      assert.deepEqual(await get(`/stores/spent/${user}`), { status: 200, body: { key: user, value: sum } });
    const keys = [...expected.keys()].sort();
    const all = await get('/stores/spent?limit=1000');
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.entries,
      keys.map((k) => ({ key: k, value: expected.get(k) })),
    );
    const page = await get('/stores/spent?from=u1&to=u2&limit=3');
    assert.deepEqual(
      (page.body.entries as Array<{ key: string }>).map((e) => e.key),
      keys.filter((k) => k >= 'u1' && k < 'u2').slice(0, 3),
    );
    const prefixed = await get('/stores/spent?prefix=u2');
    assert.deepEqual(
      (prefixed.body.entries as Array<{ key: string }>).map((e) => e.key),
      keys.filter((k) => k.startsWith('u2')),
    );
    assert.deepEqual((await get('/stores/spent/nobody')).status, 404);
    assert.deepEqual((await get('/stores/spent/nobody')).body.code, 'NOT_FOUND');
    assert.deepEqual((await get('/stores/nothing/u1')).body.code, 'UNKNOWN_STORE');
    assert.deepEqual((await get('/stores/nothing/u1')).status, 404);
    for (const bad of [
      '/stores/spent?limit=0',
      '/stores/spent?limit=abc',
      '/stores/spent?limit=20000',
      '/stores/spent?prefix=u&from=u1',
    ]) {
      const response = await get(bad);
      assert.deepEqual([response.status, response.body.code], [400, 'INVALID_ARGUMENT'], bad);
    }
    await run.stop();
  } finally {
    await server.close();
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
