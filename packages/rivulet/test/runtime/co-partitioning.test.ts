import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  createEngine,
  type Engine,
  isEngineError,
  json,
  partitionForKey,
  pipeline,
  type RunOptions,
  text,
  topic,
} from '../../src/index.ts';
import { coPartitionPipeline } from './fixtures/co-partition-pipeline.ts';

/**
 * Automatic co-partitioning on the real runtime: orders (2 partitions, keyed by SKU, groupByKey) joined
 * with a stock table whose topic has 3 partitions. The engine repartitions the orders at their groupByKey
 * to the table's count (no error), and every order sees its SKU's level, as a plain loop says. Joining
 * two tables whose topics have different partition counts cannot be fixed so: refused with
 * COPARTITION_MISMATCH, naming the topics.
 */
const modes: Array<{ name: string; options: RunOptions }> = [
  { name: 'in-thread', options: {} },
  {
    name: 'worker threads',
    options: { parallelism: 2, module: join(import.meta.dirname, 'fixtures', 'co-partition-pipeline.ts') },
  },
];

async function put(engine: Engine, topicName: string, rows: Array<[string, unknown]>) {
  const partitions = engine.log.topicConfig(topicName).partitions;
  for (const [key, value] of rows)
    await engine.log.append(topicName, partitionForKey(Buffer.from(key), partitions), [
      { key: Buffer.from(key), value: Buffer.from(JSON.stringify(value)), headers: undefined, timestamp: 0 },
    ]);
}

async function withEngine(body: (engine: Engine) => Promise<void>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-copartition-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await body(engine);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const mode of modes) {
  test(`a groupByKey stream with another partition count than the table is repartitioned to it (${mode.name})`, async () => {
    await withEngine(async (engine) => {
      await engine.log.createTopic('stock-levels', { partitions: 3 });
      await engine.log.createTopic('orders', { partitions: 2 });
      const levels = new Map(Array.from({ length: 40 }, (_, i): [string, number] => [`sku-${i}`, i * 3]));
      await put(engine, 'stock-levels', [...levels]);
      const orders = Array.from({ length: 300 }, (_, id): [string, { id: number; qty: number }] => [
        `sku-${(id * 13) % 45}`,
        { id, qty: 1 },
      ]);
      await put(engine, 'orders', orders);
      const run = await engine.run(coPartitionPipeline(), { ...mode.options, commitIntervalMs: 20 });
      assert.match(coPartitionPipeline().explain(), /sub-topology/);
      while (run.status().lag > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await run.stop();
      assert.ok(
        engine.log.hasTopic('co-partition-groupByKey4-repartition'),
        engine.log.listTopics().join(', '),
      );
      assert.equal(engine.log.topicConfig('co-partition-groupByKey4-repartition').partitions, 3);
      const consumer = engine.log.createConsumer({ topics: ['decisions'], from: 'earliest', maxWaitMs: 20 });
      const out: Array<{ id: number; sku: string; level: number | null }> = [];
      for (let empty = 0; empty < 3; ) {
        const batches = await consumer.poll();
        if (batches.length === 0) empty++;
        for (const b of batches) for (const r of b.records) out.push(JSON.parse(r.valueString()!));
      }
      consumer.close();
      assert.deepEqual(
        out.sort((a, b) => a.id - b.id),
        orders.map(([sku, o]) => ({ id: o.id, sku, level: levels.get(sku) ?? null })),
      );
    });
  });
}

test('two tables of different partition counts cannot be co-partitioned: COPARTITION_MISMATCH', async () => {
  await withEngine(async (engine) => {
    await engine.log.createTopic('left-rows', { partitions: 2 });
    await engine.log.createTopic('right-rows', { partitions: 3 });
    const p = pipeline('two-tables');
    const left = p.table('left', topic('left-rows', json<number>(), { key: text() }));
    const right = p.table('right', topic('right-rows', json<number>(), { key: text() }));
    left
      .join('both', right, (l, r) => l + r)
      .toStream()
      .to('out', topic('sums', json()));
    await assert.rejects(engine.run(p), (e) => {
      assert.ok(isEngineError(e, 'COPARTITION_MISMATCH'), String(e));
      assert.match(e.message, /left-rows/);
      assert.match(e.message, /right-rows/);
      return true;
    });
  });
});
