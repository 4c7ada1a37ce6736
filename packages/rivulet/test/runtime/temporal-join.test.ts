import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, type Engine, partitionForKey, type RunOptions } from '../../src/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';
import { BOUND_MS, type Rate, type Trade, temporalJoinPipeline } from './fixtures/temporal-join-pipeline.ts';

/**
 * A temporal join on the real runtime: rate versions of 6 currencies and trades, both out of event-time
 * order within the bound, in 2-partition topics, then a flush record per partition and topic. Every
 * trade is converted at the rate of its currency with the largest version time <= the trade's time, as
 * a plain search over the versions says; nothing is late. In-thread and in worker threads.
 */
const modes: Array<{ name: string; options: RunOptions }> = [
  { name: 'in-thread', options: {} },
  {
    name: 'worker threads',
    options: { parallelism: 2, module: join(import.meta.dirname, 'fixtures', 'temporal-join-pipeline.ts') },
  },
];

async function append(engine: Engine, topicName: string, rows: Array<[string, unknown]>) {
  for (const [key, value] of rows)
    await engine.log.append(topicName, partitionForKey(Buffer.from(key), 2), [
      { key: Buffer.from(key), value: Buffer.from(JSON.stringify(value)), headers: undefined, timestamp: 0 },
    ]);
}

/** A key of `prefix` hashing to `partition` (flush records must reach both partitions). */
function keyFor(prefix: string, partition: number): string {
  for (let i = 0; ; i++)
    if (partitionForKey(Buffer.from(`${prefix}${i}`), 2) === partition) return `${prefix}${i}`;
}

for (const mode of modes) {
  test(`temporal join (${mode.name}): each trade at the rate in force at its event time`, async () => {
    const random = new SeededRandom(faultSeed(`temporal-join-${mode.name}`));
    const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-temporal-'));
    const engine = await createEngine({ dataDir, maintenanceInterval: false });
    try {
      await engine.log.createTopic('fx-rates', { partitions: 2 });
      await engine.log.createTopic('trades', { partitions: 2 });
      const currencies = ['USD', 'GBP', 'JPY', 'CHF', 'SEK', 'NOK'];
      const base = 1_700_000_000_000;
      const rates: Array<[string, Rate]> = [];
      const trades: Array<[string, Trade]> = [];
      for (let i = 0; i < 600; i++) {
        const at = base + i * 1_000;
        const jitter = () => random.between(0, BOUND_MS - 1);
        if (random.chance(0.3))
          rates.push([random.pick(currencies), { eur: random.between(1, 200) / 100, ts: at - jitter() }]);
        trades.push([random.pick(currencies), { id: i, amount: random.between(1, 1000), ts: at - jitter() }]);
      }
      await append(engine, 'fx-rates', rates);
      await append(engine, 'trades', trades);
      const flush = base + 10_000_000;
      for (let p = 0; p < 2; p++) {
        await append(engine, 'fx-rates', [[keyFor('FLUSH', p), { eur: 1, ts: flush }]]);
        await append(engine, 'trades', [[keyFor('FLUSH', p), { id: -1, amount: 0, ts: flush }]]);
      }
      const run = await engine.run(temporalJoinPipeline(), { ...mode.options, commitIntervalMs: 20 });
      while (run.status().lag > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await run.stop();

      const read = async (topicName: string) => {
        const out: unknown[] = [];
        for (let p = 0; p < 2; p++) {
          let offset = 0;
          while (offset < engine.log.partition(topicName, p).highWatermark) {
            const fetched = await engine.log.fetch(topicName, p, offset);
            for (const r of fetched.records) out.push(JSON.parse(r.valueString()!));
            offset = fetched.nextOffset;
          }
        }
        return out;
      };
      const expected = trades.map(([currency, trade]) => {
        let best: Rate | undefined;
        for (const [c, rate] of rates)
          if (c === currency && rate.ts <= trade.ts && (best === undefined || rate.ts >= best.ts))
            best = rate;
        return { id: trade.id, eur: best === undefined ? null : trade.amount * best.eur };
      });
      const got = (await read('trades-eur')) as Array<{ id: number }>;
      assert.deepEqual(
        got.filter((r) => r.id >= 0).sort((a, b) => a.id - b.id),
        expected,
      );
      assert.deepEqual(await read('late-fx'), []);
    } finally {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
