import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, type Engine, partitionForKey, type RunOptions } from '../../src/index.ts';
import { globalJoinPipeline } from './fixtures/global-join-pipeline.ts';

/**
 * A global-table join on the real runtime: a 3-partition product topic (several updates and some
 * tombstones per product, in many small batches) and a 2-partition order topic whose orders name any
 * product: no co-partitioning, every task reads all product partitions before its orders, so every
 * order sees the complete table. A later product update is seen by later orders; after a restart the
 * table is read again from the start and orders still see all of it. In-thread and in worker threads.
 */
const modes: Array<{ name: string; options: RunOptions }> = [
  { name: 'in-thread', options: {} },
  {
    name: 'worker threads',
    options: { parallelism: 2, module: join(import.meta.dirname, 'fixtures', 'global-join-pipeline.ts') },
  },
];

async function appendProducts(engine: Engine, rows: Array<[string, number | null]>) {
  const byPartition = Array.from({ length: 3 }, () => [] as Array<[string, number | null]>);
  for (const r of rows) byPartition[partitionForKey(Buffer.from(r[0]), 3)]!.push(r);
  for (let p = 0; p < 3; p++)
    for (let from = 0; from < byPartition[p]!.length; from += 500)
      await engine.log.append(
        'products',
        p,
        byPartition[p]!.slice(from, from + 500).map(([key, price]) => ({
          key: Buffer.from(key),
          value: price === null ? null : Buffer.from(JSON.stringify({ price })),
          headers: undefined,
          timestamp: 0,
        })),
      );
}

async function appendOrders(engine: Engine, orders: Array<{ id: number; product: string }>) {
  for (const [i, order] of orders.entries())
    await engine.log.append('orders', i % 2, [
      { key: null, value: Buffer.from(JSON.stringify(order)), headers: undefined, timestamp: 0 },
    ]);
}

async function priced(engine: Engine) {
  const consumer = engine.log.createConsumer({ topics: ['priced-orders'], from: 'earliest', maxWaitMs: 20 });
  const out: Array<{ id: number }> = [];
  for (let empty = 0; empty < 3; ) {
    const batches = await consumer.poll();
    if (batches.length === 0) empty++;
    for (const b of batches) for (const r of b.records) out.push(JSON.parse(r.valueString()!));
  }
  consumer.close();
  return out.sort((a, b) => a.id - b.id);
}

for (const mode of modes) {
  test(`global-table join (${mode.name}): every order sees the whole table, without co-partitioning`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-global-'));
    const engine = await createEngine({ dataDir, maintenanceInterval: false });
    try {
      await engine.log.createTopic('products', { partitions: 3 });
      await engine.log.createTopic('orders', { partitions: 2 });
      const table = new Map<string, number>();
      const updates: Array<[string, number | null]> = [];
      for (let round = 0; round < 3; round++)
        for (let i = 0; i < 20_000; i++) {
          const price = (i + round) % 9 === 0 ? null : i + round * 100_000;
          updates.push([`p-${i}`, price]);
          if (price === null) table.delete(`p-${i}`);
          else table.set(`p-${i}`, price);
        }
      await appendProducts(engine, updates);
      const orders = Array.from({ length: 300 }, (_, id) => ({ id, product: `p-${(id * 7919) % 20_100}` }));
      await appendOrders(engine, orders);
      const expected = orders.map((o) => ({
        id: o.id,
        product: o.product,
        price: table.get(o.product) ?? null,
      }));

      const settle = async (run: Awaited<ReturnType<Engine['run']>>) => {
        while (run.status().state === 'running' && run.status().lag > 0)
          await new Promise((resolve) => setTimeout(resolve, 10));
      };
      const run = await engine.run(globalJoinPipeline(), { ...mode.options, commitIntervalMs: 20 });
      await settle(run);
      await appendProducts(engine, [['p-20050', 42]]);
      // Let the running tasks read it: a global table's topic is not part of the lag (nor checkpointed).
      await new Promise((resolve) => setTimeout(resolve, 500));
      await appendOrders(engine, [{ id: 1000, product: 'p-20050' }]);
      await settle(run);
      await run.stop();
      expected.push({ id: 1000, product: 'p-20050', price: 42 });

      // A restart reads the table again from the start: orders after it see all of it.
      const again = await engine.run(globalJoinPipeline(), { ...mode.options, commitIntervalMs: 20 });
      await appendOrders(engine, [
        { id: 1001, product: 'p-20050' },
        { id: 1002, product: 'p-9' },
        { id: 1003, product: 'p-10' },
      ]);
      await settle(again);
      await again.stop();
      expected.push(
        { id: 1001, product: 'p-20050', price: 42 },
        { id: 1002, product: 'p-9', price: table.get('p-9') ?? null },
        { id: 1003, product: 'p-10', price: table.get('p-10') ?? null },
      );
      assert.deepEqual(await priced(engine), expected);
    } finally {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
