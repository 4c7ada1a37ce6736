import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  boundedOutOfOrder,
  createEngine,
  json,
  pipeline,
  type RunOptions,
  topic,
  tumbling,
} from '../../src/index.ts';
import { idleWindowsPipeline } from './fixtures/idle-windows-pipeline.ts';

/**
 * Watermarks across a repartition on the engine: the window's watermark is the smallest of the input
 * partitions' (each writing task sends its own through the repartition topic), so a partition without
 * records holds every window open, until its idle timeout lets the others' watermarks through. In the
 * calling thread and in worker threads.
 */
const fixture = join(import.meta.dirname, 'fixtures', 'idle-windows-pipeline.ts');

async function runUntil(
  idleTimeoutMs: number | undefined,
  options: RunOptions,
  settleMs: number,
): Promise<Array<{ key: string; window: { start: number; end: number }; value: number }>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-idle-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await engine.log.createTopic('readings', { partitions: 2 });
    // Both devices hash to partition 0 of 2; partition 1 stays empty.
    const producer = engine.log.createProducer();
    await producer.send(
      'readings',
      [5, 30, 120, 250, 260, 410].map((ts) => ({
        partition: 0,
        value: JSON.stringify({ device: 'd1', ts }),
      })),
    );
    const run = await engine.run(idleWindowsPipeline(idleTimeoutMs), { commitIntervalMs: 20, ...options });
    const deadline = Date.now() + settleMs;
    const consumer = engine.log.createConsumer({
      topics: ['device-counts'],
      from: 'earliest',
      maxWaitMs: 20,
    });
    const out: Array<{ key: string; window: { start: number; end: number }; value: number }> = [];
    while (Date.now() < deadline && out.length < 3) {
      for (const batch of await consumer.poll())
        for (const r of batch.records) out.push(JSON.parse(r.valueString()!));
      if (run.status().state === 'failed') throw run.status().error;
    }
    consumer.close();
    await run.stop();
    return out;
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const mode of [
  { name: 'in-thread', options: {} as RunOptions },
  { name: 'worker threads', options: { parallelism: 2, module: fixture } as RunOptions },
]) {
  test(`an idle partition holds windows open until its idle timeout (${mode.name})`, async () => {
    const env = process.env.IDLE_TIMEOUT_MS;
    process.env.IDLE_TIMEOUT_MS = '150';
    try {
      // Watermark from partition 0 alone would be 410: windows ending at 100, 200 and 300 are closed.
      const expected = [
        { key: 'd1', window: { start: 0, end: 100 }, value: 2 },
        { key: 'd1', window: { start: 100, end: 200 }, value: 1 },
        { key: 'd1', window: { start: 200, end: 300 }, value: 2 },
      ];
      assert.deepEqual(await runUntil(150, mode.options, 15_000), expected);
    } finally {
      if (env === undefined) delete process.env.IDLE_TIMEOUT_MS;
      else process.env.IDLE_TIMEOUT_MS = env;
    }
    if (mode.name === 'in-thread') {
      // Without an idle timeout the empty partition has no watermark: nothing closes.
      assert.deepEqual(await runUntil(undefined, mode.options, 1_000), []);
    }
  });
}

test('a late record goes to the late output exactly once and is counted in status().late', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-late-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await engine.log.createTopic('clicks');
    const p = pipeline('late');
    const counts = p
      .from('clicks', topic('clicks', json<{ page: string; ts: number }>()))
      .eventTime((c) => c.ts, boundedOutOfOrder(10))
      .keyBy((c) => c.page)
      .window(tumbling(100), { allowedLateness: 20 })
      .count('per-page');
    counts.to('out', topic('page-counts', json()));
    counts.late.to('late-out', topic('late-clicks', json()));
    // Watermark after 240 is 230 >= 100 + 100 + 20: [100, 200) is closed when ts 150 arrives. (Watermarks
    // move between batches, so 150 is sent once the first three are through.)
    const producer = engine.log.createProducer();
    const send = (list: number[]) =>
      producer.send(
        'clicks',
        list.map((ts) => ({ value: JSON.stringify({ page: 'home', ts }) })),
      );
    await send([120, 180, 240]);
    const run = await engine.run(p, { commitIntervalMs: 20 });
    const drained = async () => {
      while (run.status().lag > 0 || run.status().recordsIn === 0)
        await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await drained();
    await send([150, 235]);
    while (run.status().recordsIn < 5 + 5 || run.status().lag > 0) {
      // 5 inputs plus their 5 repartition records (watermark control records do not count)
      if (run.status().state === 'failed') throw run.status().error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await run.stop();
    assert.deepEqual(run.status().late, { "windowAggregate 'per-page'": 1 });
    // Largest event time 240 minus the bound 10, at the source and at the window after the repartition.
    assert.deepEqual(Object.values(run.status().watermarks), [230, 230]);
    assert.equal(run.status().watermarks["windowAggregate 'per-page'"], 230);
    const read = async (t: string) => {
      const consumer = engine.log.createConsumer({ topics: [t], from: 'earliest', maxWaitMs: 20 });
      const values = (await consumer.poll()).flatMap((b) =>
        b.records.map((r) => JSON.parse(r.valueString()!)),
      );
      consumer.close();
      return values;
    };
    assert.deepEqual(await read('late-clicks'), [{ page: 'home', ts: 150 }]);
    assert.deepEqual(await read('page-counts'), [
      { key: 'home', window: { start: 100, end: 200 }, value: 2 },
    ]);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
