import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  createEngine,
  type Engine,
  isEngineError,
  partitionForKey,
  type RunOptions,
} from '../../src/index.ts';
import { byKeyPipeline } from './fixtures/by-key-pipeline.ts';

/**
 * Queryable state on the real runtime: `engine.store(name)` reads a running pipeline's store as of its
 * last checkpoint. With a commit interval longer than the test, records the tasks have processed (their
 * outputs are in the log, uncommitted) stay invisible to reads; after `stop` (a final checkpoint) reads
 * equal a plain loop over the input, by key (`get`), as a scan merged across partitions in key order
 * (`range`, with limits) and by prefix. With a short interval, reads while running catch up once the
 * pipeline is idle. In the calling thread and in worker threads.
 */
const PARTITIONS = 3;
const modes: Array<{ name: string; options: RunOptions }> = [
  { name: 'in-thread', options: {} },
  {
    name: 'worker threads',
    options: { parallelism: 2, module: join(import.meta.dirname, 'fixtures', 'by-key-pipeline.ts') },
  },
];

async function fill(engine: Engine, from: number, count: number, expected: Map<string, number>) {
  const byPartition = Array.from({ length: PARTITIONS }, () => [] as Array<[string, number]>);
  for (let i = from; i < from + count; i++) {
    const user = `user-${String((i * 7) % 41).padStart(2, '0')}`;
    const amount = (i * 31) % 97;
    byPartition[partitionForKey(Buffer.from(user), PARTITIONS)]!.push([user, amount]);
    expected.set(user, (expected.get(user) ?? 0) + amount);
  }
  for (let p = 0; p < PARTITIONS; p++)
    await engine.log.append(
      'purchases',
      p,
      byPartition[p]!.map(([user, amount]) => ({
        key: Buffer.from(user),
        value: Buffer.from(JSON.stringify({ amount })),
        headers: undefined,
        timestamp: 1000,
      })),
    );
}

const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

for (const mode of modes) {
  test(`queryable state (${mode.name}): reads see the last checkpoint only, then equal the reference`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-query-'));
    const engine = await createEngine({ dataDir, maintenanceInterval: false });
    try {
      await engine.log.createTopic('purchases', { partitions: PARTITIONS });
      const expected = new Map<string, number>();
      await fill(engine, 0, 600, expected);
      const run = await engine.run(byKeyPipeline(), { ...mode.options, commitIntervalMs: 600_000 });
      // Processed but not checkpointed: the outputs are in the log, the store reads do not show them.
      const outputs = () =>
        Array.from({ length: PARTITIONS }, (_, p) => engine.log.partition('spent', p).highWatermark).reduce(
          (a, b) => a + b,
          0,
        );
      while (outputs() < 600) await new Promise((resolve) => setTimeout(resolve, 10));
      const store = engine.store<string, number>('spent');
      assert.equal(await store.get('user-07'), undefined);
      assert.deepEqual(await store.range(), []);
      await run.stop();
      // The final checkpoint covers everything.
      assert.equal(await store.get('user-07'), expected.get('user-07'));
      assert.deepEqual(
        (await store.range()).map((e) => [e.key, e.value]),
        sorted(expected),
      );
      assert.deepEqual(
        (await store.range('user-10', 'user-20', { limit: 4 })).map((e) => e.key),
        sorted(expected)
          .map(([k]) => k)
          .filter((k) => k >= 'user-10' && k < 'user-20')
          .slice(0, 4),
      );
      assert.deepEqual(
        (await store.prefixScan('user-3')).map((e) => [e.key, e.value]),
        sorted(expected).filter(([k]) => k.startsWith('user-3')),
      );

      // A second run with a short interval: reads catch up with the checkpoints while it runs.
      const again = await engine.run(byKeyPipeline(), { ...mode.options, commitIntervalMs: 20 });
      await fill(engine, 600, 300, expected);
      const live = again.store<string, number>('spent');
      for (let tries = 0; ; tries++) {
        const rows = (await live.range()).map((e) => [e.key, e.value]);
        if (JSON.stringify(rows) === JSON.stringify(sorted(expected))) break;
        assert.ok(tries < 500, `reads never caught up: ${JSON.stringify(rows.slice(0, 3))}...`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.throws(
        () => engine.store('no-such-store'),
        (e) => isEngineError(e, 'UNKNOWN_STORE'),
      );
      await again.stop();
    } finally {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
