import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { movementDelta, orderDelta } from '../../../../examples/s2-stock-tracker/pipeline.ts';
import { createLog } from '../../src/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * S2 end to end: random orders and stock movements on two 3-partition topics, the example pipeline run
 * by `rivulet run` as a child process until it has no lag, then SIGTERM (a graceful stop with a final
 * checkpoint). The last stock level written per SKU must equal a plain loop over the same events, and so
 * must the number of updates (one per event); before the stop, the live levels queried over HTTP
 * (`--http`, GET /stores/stock-level/:sku and a range scan) must equal it too.
 */
const root = join(import.meta.dirname, '..', '..', '..', '..');
const bin = join(root, 'packages', 'rivulet', 'bin', 'rivulet.js');
const example = join(root, 'examples', 's2-stock-tracker', 'pipeline.ts');

test('S2 stock tracker through `rivulet run` equals a plain loop over the events', {
  timeout: 120_000,
}, async () => {
  const random = new SeededRandom(faultSeed('s2-stock-tracker'));
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-s2-'));
  try {
    const log = await createLog({ dataDir, maintenanceInterval: false });
    await log.createTopic('orders', { partitions: 3 });
    await log.createTopic('stock-movements', { partitions: 3 });
    const producer = log.createProducer();
    const level = new Map<string, number>();
    const skus = Array.from({ length: 40 }, (_, i) => `sku-${i}`);
    const EVENTS = 6000;
    for (let i = 0; i < EVENTS; i += 200) {
      const orders = [];
      const movements = [];
      for (let j = i; j < i + 200; j++) {
        const sku = random.pick(skus);
        const qty = random.between(1, 20);
        if (random.chance(0.5)) {
          const order = {
            orderId: `o${j}`,
            sku,
            qty,
            type: random.pick(['placed', 'cancelled', 'shipped'] as const),
          };
          level.set(sku, (level.get(sku) ?? 0) + orderDelta(order));
          orders.push({ key: order.orderId, value: JSON.stringify(order) });
        } else {
          const movement = { sku, qty, kind: random.pick(['received', 'reserved', 'released'] as const) };
          level.set(sku, (level.get(sku) ?? 0) + movementDelta(movement));
          movements.push({ key: sku, value: JSON.stringify(movement) });
        }
      }
      if (orders.length > 0) await producer.send('orders', orders);
      if (movements.length > 0) await producer.send('stock-movements', movements);
    }
    await log.close();

    const child = spawn(
      process.execPath,
      [bin, 'run', example, '--data-dir', dataDir, '--commit-interval', '50ms', '--http', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const lines = stderr.trim().split('\n');
        if (
          /running: (\d+) records in, lag 0,/.test(lines.at(-1) ?? '') &&
          Number(/running: (\d+)/.exec(lines.at(-1)!)![1]) >= 2 * EVENTS
        )
          resolve();
      });
      void exited.then((code) => reject(new Error(`rivulet run exited early (${code}): ${stderr}`)));
    });
    // The live stock level over HTTP (state as of the last checkpoint, which covers every event now).
    const address = /serving state queries on (http:\S+)/.exec(stderr)?.[1];
    assert.ok(address !== undefined, stderr);
    for (const sku of skus) {
      const response = await fetch(`${address}/stores/stock-level/${sku}`);
      if (!level.has(sku)) {
        assert.equal(response.status, 404);
        continue;
      }
      assert.deepEqual(await response.json(), { key: sku, value: level.get(sku) });
    }
    const scan = (await (await fetch(`${address}/stores/stock-level?limit=1000`)).json()) as {
      entries: Array<{ key: string; value: number }>;
    };
    assert.deepEqual(new Map(scan.entries.map((e) => [e.key, e.value])), new Map([...level].sort()));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /stopped stock-tracker: \d+ records in/);

    const reader = await createLog({ dataDir, maintenanceInterval: false });
    try {
      const last = new Map<string, number>();
      let updates = 0;
      for (let p = 0; p < reader.topicConfig('stock-levels').partitions; p++) {
        let offset = 0;
        const partition = reader.partition('stock-levels', p);
        while (offset < partition.highWatermark) {
          const fetched = await partition.fetch(offset);
          for (const r of fetched.records) {
            last.set(JSON.parse(r.keyString()!) as string, JSON.parse(r.valueString()!) as number);
            updates++;
          }
          offset = fetched.nextOffset;
        }
      }
      assert.equal(updates, EVENTS);
      assert.deepEqual(new Map([...last].sort()), new Map([...level].sort()));
    } finally {
      await reader.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
