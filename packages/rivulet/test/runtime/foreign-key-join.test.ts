import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, type Engine, partitionForKey, type RunOptions } from '../../src/index.ts';
import { fkJoinPipeline, type OrderRow } from './fixtures/fk-join-pipeline.ts';

/**
 * A foreign-key join on the real runtime, across a restart: a 2-partition order table whose rows point
 * at products of a 3-partition global table. After the first run, and again after a restart followed by
 * price changes, a product deletion and re-pointed orders, the result store (read through
 * `engine.store`, as of the last checkpoint) and the last value per key of its changelog topic equal the
 * join of the final tables by a plain loop; after the restart (the global table read again from its start)
 * the changelog has exactly one record per key whose row changed, its new row: replaying the global
 * table's history flips nothing back. In-thread and in worker threads.
 */
const modes: Array<{ name: string; options: RunOptions }> = [
  { name: 'in-thread', options: {} },
  {
    name: 'worker threads',
    options: { parallelism: 2, module: join(import.meta.dirname, 'fixtures', 'fk-join-pipeline.ts') },
  },
];

async function put(engine: Engine, topicName: string, rows: Array<[string, unknown]>) {
  const partitions = engine.log.topicConfig(topicName).partitions;
  for (const [key, value] of rows)
    await engine.log.append(topicName, partitionForKey(Buffer.from(key), partitions), [
      {
        key: Buffer.from(key),
        value: value === null ? null : Buffer.from(JSON.stringify(value)),
        headers: undefined,
        timestamp: 0,
      },
    ]);
}

for (const mode of modes) {
  test(`foreign-key join (${mode.name}): result store and changelog equal the join of the final tables, across a restart`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-fk-'));
    const engine = await createEngine({ dataDir, maintenanceInterval: false });
    try {
      await engine.log.createTopic('products', { partitions: 3 });
      await engine.log.createTopic('orders', { partitions: 2 });
      const products = new Map<string, number>();
      const orders = new Map<string, OrderRow>();
      const setProducts = async (rows: Array<[string, number | null]>) => {
        for (const [k, v] of rows) v === null ? products.delete(k) : products.set(k, v);
        await put(
          engine,
          'products',
          rows.map(([k, v]) => [k, v === null ? null : { price: v }]),
        );
      };
      const setOrders = async (rows: Array<[string, OrderRow]>) => {
        for (const [k, v] of rows) orders.set(k, v);
        await put(engine, 'orders', rows);
      };
      await setProducts(Array.from({ length: 30 }, (_, i): [string, number] => [`p${i}`, i + 1]));
      // A second version of p5: after the restart, replaying this history must not show p5's old price.
      await setProducts([['p5', 50]]);
      await setOrders(
        Array.from({ length: 200 }, (_, i): [string, OrderRow] => [
          `o${i}`,
          { product: `p${(i * 7) % 37}`, qty: (i % 5) + 1 },
        ]),
      );
      const expected = () =>
        [...orders]
          .filter(([, o]) => products.has(o.product))
          .map(([k, o]): [string, number] => [k, o.qty * products.get(o.product)!])
          .sort(([a], [b]) => (a < b ? -1 : 1));
      /** The records of the changelog topic from `from` (offsets per partition) on. */
      const changes = async (from: number[]) => {
        const out: Array<[string, number | null]> = [];
        for (let p = 0; p < engine.log.topicConfig('priced-orders').partitions; p++) {
          let offset = from[p] ?? 0;
          while (offset < engine.log.partition('priced-orders', p).highWatermark) {
            const fetched = await engine.log.fetch('priced-orders', p, offset);
            for (const r of fetched.records)
              out.push([r.keyString()!, r.value === null ? null : JSON.parse(r.valueString()!)]);
            offset = fetched.nextOffset;
          }
        }
        return out.sort(([a], [b]) => (a < b ? -1 : 1));
      };
      const ends = () =>
        Array.from(
          { length: engine.log.topicConfig('priced-orders').partitions },
          (_, p) => engine.log.partition('priced-orders', p).highWatermark,
        );
      const check = async (run: Awaited<ReturnType<Engine['run']>>) => {
        while (run.status().lag > 0) await new Promise((resolve) => setTimeout(resolve, 10));
        await run.stop();
        const stored = (await run.store<string, number>('priced-orders').range()).map((e) => [
          e.key,
          e.value,
        ]);
        assert.deepEqual(stored, expected());
        const last = new Map<string, number | null>();
        const consumer = engine.log.createConsumer({
          topics: ['priced-orders'],
          from: 'earliest',
          maxWaitMs: 20,
        });
        for (let empty = 0; empty < 3; ) {
          const batches = await consumer.poll();
          if (batches.length === 0) empty++;
          for (const b of batches)
            for (const r of b.records)
              last.set(r.keyString()!, r.value === null ? null : JSON.parse(r.valueString()!));
        }
        consumer.close();
        assert.deepEqual(
          [...last].filter(([, v]) => v !== null).sort(([a], [b]) => (a < b ? -1 : 1)),
          expected(),
        );
      };
      await check(await engine.run(fkJoinPipeline(), { ...mode.options, commitIntervalMs: 20 }));
      const before = new Map(expected());
      const firstEnds = ends();

      // A price change while the pipeline is down: its orders are recomputed once the table is loaded.
      await setProducts([['p7', 70]]);
      const again = await engine.run(fkJoinPipeline(), { ...mode.options, commitIntervalMs: 20 });
      await setProducts([
        ['p3', 100],
        ['p4', null],
        ['p31', 7],
      ]);
      await setOrders([
        ['o1', { product: 'p31', qty: 2 }],
        ['o2', { product: 'p4', qty: 1 }],
        ['o500', { product: 'p3', qty: 3 }],
      ]);
      await check(again);
      // After the restart the global table is read again from its start: replaying its history must
      // not flip results back to old rows. Orders not rewritten since then change only through their
      // product (changed once): exactly those whose row changed have one record, the new row. The
      // rewritten ones may pass through an intermediate row (processing order between the two topics),
      // and end on the new row.
      const after = new Map(expected());
      const rewritten = new Set(['o1', 'o2', 'o500']);
      const changed = [...new Set([...before.keys(), ...after.keys()])]
        .filter((k) => !rewritten.has(k) && before.get(k) !== after.get(k))
        .map((k): [string, number | null] => [k, after.get(k) ?? null])
        .sort(([a], [b]) => (a < b ? -1 : 1));
      const since = await changes(firstEnds);
      assert.deepEqual(
        since.filter(([k]) => !rewritten.has(k)),
        changed,
      );
      for (const k of rewritten)
        assert.equal(since.findLast(([key]) => key === k)?.[1], after.get(k) ?? null, k);
    } finally {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
