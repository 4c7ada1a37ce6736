import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, type Engine, json, ManualClock, pipeline, topic } from '../../src/index.ts';

/**
 * Processing-time timers are state: set before a stop, they survive the restart (restored from their
 * changelog) and fire exactly once after it, when the injected clock says they are due.
 */
function reminders() {
  const p = pipeline('reminders');
  p.from('tasks', topic('tasks', json<{ id: string; dueIn: number }>()))
    .keyBy((t) => t.id)
    .process('remind', {
      process: (task, ctx) => {
        ctx.timers.processingTime(ctx.now + task.dueIn);
        return [];
      },
      onTimer: (at, ctx) => [{ id: ctx.key, at }],
    })
    .to('out', topic('reminders', json()));
  return p;
}

async function drain(engine: Engine, clock: ManualClock) {
  const run = await engine.run(reminders(), { clock, commitIntervalMs: 10 });
  while (run.status().lag > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return run;
}

async function output(engine: Engine): Promise<unknown[]> {
  const consumer = engine.log.createConsumer({ topics: ['reminders'], from: 'earliest', maxWaitMs: 20 });
  const values = (await consumer.poll()).flatMap((b) => b.records.map((r) => JSON.parse(r.valueString()!)));
  consumer.close();
  return values;
}

test('processing-time timers survive a restart and fire exactly once when due', {
  timeout: 60_000,
}, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-timers-'));
  const clock = new ManualClock(1_000_000);
  try {
    let engine = await createEngine({ dataDir, maintenanceInterval: false });
    await engine.log.createTopic('tasks');
    await engine.log
      .createProducer()
      .send('tasks', [
        { value: JSON.stringify({ id: 'a', dueIn: 5_000 }) },
        { value: JSON.stringify({ id: 'b', dueIn: 60_000 }) },
      ]);
    let run = await drain(engine, clock);
    clock.advance(4_999);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await run.stop();
    assert.deepEqual(await output(engine), [], 'nothing is due yet');
    await engine.close();

    clock.advance(1);
    engine = await createEngine({ dataDir, maintenanceInterval: false });
    run = await drain(engine, clock);
    await run.stop();
    assert.deepEqual(await output(engine), [{ id: 'a', at: 1_005_000 }]);
    await engine.close();

    clock.advance(100_000);
    engine = await createEngine({ dataDir, maintenanceInterval: false });
    run = await drain(engine, clock);
    await run.stop();
    assert.deepEqual(await output(engine), [
      { id: 'a', at: 1_005_000 },
      { id: 'b', at: 1_060_000 },
    ]);
    await engine.close();

    engine = await createEngine({ dataDir, maintenanceInterval: false });
    run = await drain(engine, clock);
    await run.stop();
    assert.deepEqual(
      await output(engine),
      [
        { id: 'a', at: 1_005_000 },
        { id: 'b', at: 1_060_000 },
      ],
      'no timer fires twice',
    );
    await engine.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
