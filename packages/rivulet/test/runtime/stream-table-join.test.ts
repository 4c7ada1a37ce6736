import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, type Engine, partitionForKey, type RunOptions } from '../../src/index.ts';
import { stockJoinPipeline } from './fixtures/stock-join-pipeline.ts';

/**
 * A stream-table join on the real runtime. A stock table topic (2 partitions, several updates and some
 * tombstones per SKU) and an order topic are filled before the run: every order must see the complete
 * table (tasks read their tables' topics to the end before other inputs). Then a table update is
 * appended and consumed, and orders after it must see it. Outputs equal a plain reference; in the calling
 * thread and in worker threads.
 */
const PARTITIONS = 2;
const modes: Array<{ name: string; options: RunOptions }> = [
  { name: 'in-thread', options: {} },
  {
    name: 'worker threads',
    options: { parallelism: 2, module: join(import.meta.dirname, 'fixtures', 'stock-join-pipeline.ts') },
  },
];

async function append(engine: Engine, topicName: string, records: Array<[string, unknown]>) {
  const byPartition = Array.from({ length: PARTITIONS }, () => [] as Array<[string, unknown]>);
  for (const r of records) byPartition[partitionForKey(Buffer.from(r[0]), PARTITIONS)]!.push(r);
  // In appends of 500 records (one batch each), as a producer would send them.
  for (let p = 0; p < PARTITIONS; p++)
    for (let from = 0; from < byPartition[p]!.length; from += 500)
      await engine.log.append(
        topicName,
        p,
        byPartition[p]!.slice(from, from + 500).map(([key, value]) => ({
          key: Buffer.from(key),
          value: value === null ? null : Buffer.from(JSON.stringify(value)),
          headers: undefined,
          timestamp: 1000,
        })),
      );
}

async function decisions(engine: Engine) {
  const consumer = engine.log.createConsumer({ topics: ['decisions'], from: 'earliest', maxWaitMs: 20 });
  const out: unknown[] = [];
  for (let empty = 0; empty < 3; ) {
    const batches = await consumer.poll();
    if (batches.length === 0) empty++;
    for (const b of batches) for (const r of b.records) out.push(JSON.parse(r.valueString()!));
  }
  consumer.close();
  return out.sort((a, b) => (a as { id: number }).id - (b as { id: number }).id);
}

for (const mode of modes) {
  test(`stream-table join (${mode.name}): orders see the whole pre-filled table, and later updates`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-join-'));
    const engine = await createEngine({ dataDir, maintenanceInterval: false });
    try {
      await engine.log.createTopic('stock-levels', { partitions: PARTITIONS });
      await engine.log.createTopic('orders', { partitions: PARTITIONS });
      const table = new Map<string, number>();
      const updates: Array<[string, number | null]> = [];
      // 60,000 updates: more than one fetch (256 KiB) per partition, so reading the table first matters.
      for (let round = 0; round < 3; round++)
        for (let i = 0; i < 20000; i++) {
          const sku = `sku-${i}`;
          const value = (i + round) % 7 === 0 ? null : i * 10 + round;
          updates.push([sku, value]);
          if (value === null) table.delete(sku);
          else table.set(sku, value);
        }
      await append(engine, 'stock-levels', updates);
      const orders: Array<[string, { id: number; qty: number }]> = [];
      for (let id = 0; id < 400; id++) orders.push([`sku-${(id * 7919) % 20100}`, { id, qty: 1 }]);
      await append(engine, 'orders', orders);
      const expected = orders.map(([sku, o]) => ({ id: o.id, sku, level: table.get(sku) ?? null }));

      const run = await engine.run(stockJoinPipeline(), { ...mode.options, commitIntervalMs: 20 });
      const settle = async () => {
        while (run.status().state === 'running' && run.status().lag > 0)
          await new Promise((resolve) => setTimeout(resolve, 10));
      };
      await settle();
      await append(engine, 'stock-levels', [['sku-20031', 777]]);
      await settle();
      const later: Array<[string, { id: number; qty: number }]> = [
        ['sku-20031', { id: 1000, qty: 1 }],
        ['sku-20032', { id: 1001, qty: 1 }],
      ];
      await append(engine, 'orders', later);
      await settle();
      await run.stop();
      assert.equal(run.status().state, 'stopped');
      expected.push({ id: 1000, sku: 'sku-20031', level: 777 }, { id: 1001, sku: 'sku-20032', level: null });
      assert.deepEqual(await decisions(engine), expected);
    } finally {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
