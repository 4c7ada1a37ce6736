import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, type Engine, isEngineError } from '../../src/index.ts';
import { itemsPipeline } from './fixtures/items-pipeline.ts';

/**
 * How a pipeline reaches worker threads, and the clear errors when it cannot: parallelism > 1 without
 * the module to import, a module that cannot be loaded, and a module whose pipeline differs from the
 * one being run.
 */
const fixtures = join(import.meta.dirname, 'fixtures');

async function withEngine(body: (engine: Engine) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-workers-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await engine.log.createTopic('items', { partitions: 2 });
    await body(engine);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('parallelism > 1 without a module is refused before anything starts', async () => {
  await withEngine(async (engine) => {
    await assert.rejects(
      engine.run(itemsPipeline(), { parallelism: 2 }),
      (e) => isEngineError(e, 'INVALID_ARGUMENT') && /module/.test(e.message),
    );
    await assert.rejects(
      engine.run(itemsPipeline(), { parallelism: 0 }),
      (e) => isEngineError(e, 'INVALID_ARGUMENT') && /parallelism/.test(e.message),
    );
  });
});

test('a module that cannot be loaded in a worker fails the start with its path', async () => {
  await withEngine(async (engine) => {
    const missing = join(fixtures, 'no-such-pipeline.ts');
    await assert.rejects(
      engine.run(itemsPipeline(), { parallelism: 2, module: missing }),
      (e) => isEngineError(e, 'INVALID_ARGUMENT') && e.message.includes('no-such-pipeline.ts'),
    );
  });
});

test('a module exporting a different pipeline is refused (INVALID_PLAN)', async () => {
  await withEngine(async (engine) => {
    await assert.rejects(
      engine.run(itemsPipeline(), { parallelism: 2, module: join(fixtures, 'crash-pipeline.ts') }),
      (e) => isEngineError(e, 'INVALID_PLAN') && e.message.includes('crash-pipeline.ts'),
    );
  });
});

test('two partitions run in two workers, and the pipeline stops cleanly', async () => {
  await withEngine(async (engine) => {
    for (let p = 0; p < 2; p++)
      await engine.log.append(
        'items',
        p,
        [1, 2, 3].map((n) => ({
          key: null,
          value: Buffer.from(JSON.stringify({ id: p * 10 + n, n })),
          headers: undefined,
          timestamp: 0,
        })),
      );
    const run = await engine.run(itemsPipeline(), {
      parallelism: 4,
      module: join(fixtures, 'items-pipeline.ts'),
      commitIntervalMs: 20,
    });
    assert.equal(run.status().workers, 2, 'at most one worker per partition');
    while (run.status().lag > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await run.stop();
    assert.equal(run.status().state, 'stopped');
    assert.equal(run.status().recordsIn, 6);
    const consumer = engine.log.createConsumer({ topics: ['out'], from: 'earliest', maxWaitMs: 20 });
    const values = (await consumer.poll()).flatMap((b) => b.records.map((r) => r.valueString()));
    consumer.close();
    const expected = [1, 2, 3, 11, 12, 13].map((id) => JSON.stringify({ id, doubled: (id % 10) * 2 }));
    assert.deepEqual(values.sort(), expected.sort());
  });
});
