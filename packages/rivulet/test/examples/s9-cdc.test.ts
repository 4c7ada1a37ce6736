import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { postgresCdcSource, postgresUpsertSink } from '@rivulet/postgres';
import pg from 'pg';
import { cdcPipeline, type SkuSummary } from '../../../../examples/s9-cdc/pipeline.ts';
import { startPrivatePostgres } from '../../../postgres/test/private-postgres.ts';
import { createEngine } from '../../src/index.ts';
import type { PipelineRunner } from '../../src/runtime/index.ts';
import { waitUntil } from '../../src/testing/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * S9 on a private PostgreSQL cluster (wal_level=logical): stock levels and orders are written with SQL,
 * read back by logical replication, joined and aggregated, and upserted into `sku_summary`. Stock rows are
 * inserted, then updated and one deleted between phases of orders (each phase waits until the pipeline's
 * stock table shows the change, so every order meets a known level); the pipeline is stopped and started
 * again between phases. `sku_summary` must equal a plain loop over the orders and the levels they met.
 */
type Phase = {
  stock: Array<[string, number | null]>;
  orders: Array<{ id: string; sku: string; qty: number }>;
};

test('S9 CDC: orders joined with stock from Postgres, aggregated back into Postgres, equal a plain loop', {
  timeout: 180_000,
}, async () => {
  const random = new SeededRandom(faultSeed('s9-cdc'));
  const skus = Array.from({ length: 12 }, (_, i) => `sku-${i}`);
  let orderNo = 0;
  const orders = (count: number) =>
    Array.from({ length: count }, () => ({
      id: `o-${++orderNo}`,
      sku: random.pick(skus),
      qty: random.between(1, 8),
    }));
  const phases: Phase[] = [
    { stock: skus.map((s) => [s, random.between(0, 10)] as [string, number]), orders: orders(250) },
    { stock: [], orders: orders(150) },
    {
      stock: [
        ['sku-1', 0],
        ['sku-2', 100],
        ['sku-3', null], // deleted: unknown SKU, a backorder
        ['sku-4', 5],
      ],
      orders: orders(200),
    },
  ];

  const pgServer = await startPrivatePostgres();
  const db = new pg.Client({ connectionString: pgServer.connectionString });
  await db.connect();
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-s9-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  const name = `s9_${randomBytes(4).toString('hex')}`;
  let run: PipelineRunner | undefined;
  try {
    await db.query(`CREATE TABLE stock (sku text PRIMARY KEY, level int NOT NULL);
      CREATE TABLE orders (order_id text PRIMARY KEY, sku text NOT NULL, qty int NOT NULL);
      CREATE TABLE sku_summary (sku text PRIMARY KEY, orders int, reserved_qty int, backordered_qty int);
      ALTER TABLE stock REPLICA IDENTITY FULL;`);
    const build = () =>
      cdcPipeline(
        postgresCdcSource({
          connectionString: pgServer.connectionString,
          slot: name,
          publication: name,
          tables: ['public.stock', 'public.orders'],
          createSlot: true,
          createPublication: true,
        }),
        postgresUpsertSink({
          connectionString: pgServer.connectionString,
          table: 'sku_summary',
          key: ['sku'],
        }),
      );
    const levels = new Map<string, number>();
    const expected = new Map<string, SkuSummary>();
    let total = 0;
    for (const [i, phase] of phases.entries()) {
      run = await engine.run(build(), { commitIntervalMs: 50 });
      // Logical replication captures changes from the slot's creation on: wait for the source to make it.
      await waitUntil(async () => {
        const status = run!.status();
        if (status.state === 'failed') throw status.error;
        const slots = await db.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [name]);
        return slots.rowCount === 1;
      }, 'the replication slot');
      for (const [sku, level] of phase.stock) {
        if (level === null) {
          await db.query('DELETE FROM stock WHERE sku = $1', [sku]);
          levels.delete(sku);
        } else {
          await db.query(
            'INSERT INTO stock (sku, level) VALUES ($1, $2) ON CONFLICT (sku) DO UPDATE SET level = EXCLUDED.level',
            [sku, level],
          );
          levels.set(sku, level);
        }
      }
      // Wait until the pipeline's stock table holds these levels (as of a checkpoint).
      const store = run.store<string, { after: { level: number } | null } | undefined>('stock');
      await waitUntil(async () => {
        for (const sku of skus) if ((await store.get(sku))?.after?.level !== levels.get(sku)) return false;
        return true;
      }, `the stock levels of phase ${i}`);
      for (let b = 0; b < phase.orders.length; b += 50) {
        const batch = phase.orders.slice(b, b + 50);
        await db.query(
          `INSERT INTO orders (order_id, sku, qty) SELECT * FROM unnest($1::text[], $2::text[], $3::int[])`,
          [batch.map((o) => o.id), batch.map((o) => o.sku), batch.map((o) => o.qty)],
        );
      }
      for (const o of phase.orders) {
        const s = expected.get(o.sku) ?? { sku: o.sku, orders: 0, reserved_qty: 0, backordered_qty: 0 };
        const level = levels.get(o.sku);
        s.orders++;
        if (level !== undefined && level >= o.qty) s.reserved_qty += o.qty;
        else s.backordered_qty += o.qty;
        expected.set(o.sku, s);
      }
      total += phase.orders.length;
      await waitUntil(async () => {
        const { rows } = await db.query('SELECT coalesce(sum(orders), 0)::int AS n FROM sku_summary');
        return rows[0].n === total;
      }, `${total} orders summarised`);
      await run.stop();
      run = undefined;
    }
    const { rows } = await db.query(
      'SELECT sku, orders, reserved_qty, backordered_qty FROM sku_summary ORDER BY sku',
    );
    const want = [...expected.values()].sort((a, b) => (a.sku < b.sku ? -1 : 1));
    assert.deepEqual(rows, want);
    console.log(
      `[s9-cdc] ${total} orders over ${skus.length} SKUs in 3 phases (stock updated and deleted between them, 3 runs): sku_summary = reference`,
    );
  } finally {
    await run?.stop();
    await engine.close();
    await db.end();
    await pgServer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
