import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { visitorsPipeline } from '../../../../examples/s1-visitors/pipeline.ts';
import { createEngine, type Engine } from '../../src/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * S1 on the engine, stopped and restarted half way: visits over three hours of event time (up to 50 s out
 * of order) on two partitions; after the restart one visit from the first minutes arrives, long after its
 * windows closed. The distinct-visitor and action counts of every 30-minute window ending on a minute,
 * the alerts (crossings of the threshold, up and down) and the late visit must equal a plain loop over the
 * same visits: nothing repeated, nothing missed across the restart.
 */
const MINUTE = 60_000;
const THRESHOLD = 20;

interface Visit {
  visitorId: string;
  page: string;
  ts: number;
}

async function drain(engine: Engine, run: Awaited<ReturnType<Engine['run']>>): Promise<void> {
  while (run.status().lag > 0 || run.status().state !== 'running') {
    if (run.status().state === 'failed') throw run.status().error;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  void engine;
}

async function read(engine: Engine, topicName: string): Promise<unknown[]> {
  const consumer = engine.log.createConsumer({ topics: [topicName], from: 'earliest', maxWaitMs: 20 });
  const out: unknown[] = [];
  for (;;) {
    const batches = await consumer.poll();
    if (batches.length === 0) break;
    for (const b of batches) for (const r of b.records) out.push(JSON.parse(r.valueString()!));
  }
  consumer.close();
  return out;
}

test('S1 visitors in the last 30 minutes: counts, alerts and late visits equal a plain loop across a restart', {
  timeout: 120_000,
}, async () => {
  const random = new SeededRandom(faultSeed('s1-visitors'));
  const start = 1_700_000_000_000 - (1_700_000_000_000 % MINUTE);
  const visits: Visit[] = [];
  let clock = start;
  for (let i = 0; i < 1500; i++) {
    // Traffic that rises and falls, so the visitor count crosses the threshold several times.
    const busy = Math.sin(i / 100) > 0; // about 40 minutes busy (60 visitors), 40 quiet (5 visitors)
    clock += random.between(1_000, 14_000);
    visits.push({
      visitorId: `v${random.int(busy ? 60 : 5)}`,
      page: random.pick(['/', '/flights', '/hotels']),
      ts: clock - random.between(0, 50_000),
    });
  }
  const half = visits.length / 2;
  const lateVisit: Visit = { visitorId: 'v-late', page: '/', ts: start + 1_000 };
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-s1-'));
  try {
    let engine = await createEngine({ dataDir, maintenanceInterval: false });
    await engine.log.createTopic('visits', { partitions: 2 });
    const send = (list: Visit[]) =>
      engine.log.createProducer().send(
        'visits',
        list.map((v) => ({ key: v.visitorId, value: JSON.stringify(v) })),
      );
    await send(visits.slice(0, half));
    let run = await engine.run(visitorsPipeline(THRESHOLD), { commitIntervalMs: 20 });
    await drain(engine, run);
    await run.stop();
    await engine.close();
    engine = await createEngine({ dataDir, maintenanceInterval: false });
    run = await engine.run(visitorsPipeline(THRESHOLD), { commitIntervalMs: 20 });
    await send([lateVisit]);
    await drain(engine, run);
    await send(visits.slice(half));
    // A far-future visit in each partition moves every partition's watermark past the last window.
    const flushAt = clock + 24 * 60 * MINUTE;
    for (let p = 0; p < 2; p++)
      await engine.log
        .createProducer()
        .send('visits', [
          { partition: p, value: JSON.stringify({ visitorId: 'flush', page: '/', ts: flushAt }) },
        ]);
    await drain(engine, run);
    await run.stop();

    // The plain loop: every 30-minute window ending on a minute that holds at least one visit.
    const windows = new Map<number, { visitors: Set<string>; actions: number }>();
    for (const v of visits) {
      const last = v.ts - (v.ts % MINUTE);
      for (let s = last - 29 * MINUTE; s <= last; s += MINUTE) {
        const w = windows.get(s + 30 * MINUTE) ?? { visitors: new Set<string>(), actions: 0 };
        w.visitors.add(v.visitorId);
        w.actions++;
        windows.set(s + 30 * MINUTE, w);
      }
    }
    const ends = [...windows.keys()].sort((a, b) => a - b);
    const expectedVisitors = ends.map((end) => [end, windows.get(end)!.visitors.size]);
    const expectedActions = ends.map((end) => [end, windows.get(end)!.actions]);
    const expectedAlerts: unknown[] = [];
    let above = false;
    for (const [, count] of expectedVisitors as Array<[number, number]>) {
      if (count >= THRESHOLD !== above) {
        above = count >= THRESHOLD;
        expectedAlerts.push({
          key: 'site',
          direction: above ? 'up' : 'down',
          value: count,
          threshold: THRESHOLD,
        });
      }
    }
    const windowed = (list: unknown[]) =>
      (list as Array<{ key: string; window: { end: number }; value: number }>)
        .filter((w) => w.key === 'site')
        .map((w) => [w.window.end, w.value]);
    assert.deepEqual(windowed(await read(engine, 'visitors-last-30m')), expectedVisitors);
    assert.deepEqual(windowed(await read(engine, 'actions-last-30m')), expectedActions);
    const alerts = await read(engine, 'visitor-alerts');
    assert.ok(
      expectedAlerts.length >= 4,
      `the traffic should cross the threshold several times, got ${expectedAlerts.length}`,
    );
    assert.deepEqual(alerts, expectedAlerts);
    assert.deepEqual(await read(engine, 'late-visits'), [lateVisit]);
    console.log(
      `[s1-visitors] ${visits.length} visits, ${ends.length} windows, ${alerts.length} alerts, 1 late visit: = reference across a restart`,
    );
    await engine.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
