import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, isEngineError, json, pipeline, topic } from '../../src/index.ts';
import { TestDriver } from '../../src/testing/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * mapAsync on the engine: calls with random delays finish out of order, yet the output keeps the input
 * order; no more than `concurrency` calls are ever in flight; a rejected call follows the error policy.
 */
test('mapAsync keeps input order, bounds concurrency, and routes rejections by policy', {
  timeout: 60_000,
}, async () => {
  const random = new SeededRandom(faultSeed('map-async'));
  const delays = Array.from({ length: 400 }, () => random.between(0, 4));
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-async-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await engine.log.createTopic('numbers');
    await engine.log.createProducer().send(
      'numbers',
      delays.map((_, i) => ({ value: JSON.stringify({ i }) })),
    );
    let inFlight = 0;
    let maxInFlight = 0;
    const p = pipeline('enrich');
    p.from('numbers', topic('numbers', json<{ i: number }>()))
      .mapAsync(
        'slow-lookup',
        async (n) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, delays[n.i]));
          inFlight--;
          if (n.i === 123) throw new Error('lookup failed for 123');
          return { i: n.i, squared: n.i * n.i };
        },
        { concurrency: 8 },
      )
      .to('out', topic('enriched', json()));
    const run = await engine.run(p, {
      commitIntervalMs: 20,
      errors: { process: { deadLetter: 'enrich-dlq' } },
      fetchBytes: 2048,
    });
    while (run.status().lag > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await run.stop();
    const consumer = engine.log.createConsumer({
      topics: ['enriched', 'enrich-dlq'],
      from: 'earliest',
      maxWaitMs: 20,
    });
    const byTopic = new Map<string, string[]>();
    for (let polls = 0; polls < 50; polls++) {
      const batches = await consumer.poll();
      if (batches.length === 0) break;
      for (const b of batches)
        byTopic.set(b.topic, [...(byTopic.get(b.topic) ?? []), ...b.records.map((r) => r.valueString()!)]);
    }
    consumer.close();
    const expected = delays
      .map((_, i) => i)
      .filter((i) => i !== 123)
      .map((i) => JSON.stringify({ i, squared: i * i }));
    assert.deepEqual(byTopic.get('enriched'), expected);
    assert.deepEqual(byTopic.get('enrich-dlq'), ['{"i":123}']);
    assert.ok(maxInFlight <= 8 && maxInFlight > 1, `max in flight ${maxInFlight}`);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('mapAsync under fail stops the pipeline naming the operator and offset, in the engine and the test driver', {
  timeout: 60_000,
}, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-async-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  const p = pipeline('enrich');
  p.from('numbers', topic('numbers', json<{ i: number }>()))
    .mapAsync('lookup', async (n) => {
      if (n.i === 2) throw new Error('boom');
      return n;
    })
    .to('out', topic('enriched', json()));
  try {
    await engine.log.createTopic('numbers');
    await engine.log.createProducer().send(
      'numbers',
      [0, 1, 2, 3].map((i) => ({ value: JSON.stringify({ i }) })),
    );
    const run = await engine.run(p);
    await assert.rejects(
      run.done,
      (e) =>
        isEngineError(e, 'PROCESSING_FAILED') &&
        e.details.operator === "mapAsync 'lookup'" &&
        e.details.offset === 2,
    );
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  // The test driver runs mapAsync on the event loop; settle() surfaces the same failure.
  const driver = new TestDriver(p);
  for (const i of [0, 1, 2, 3]) driver.pipeInput('numbers', { i });
  await assert.rejects(
    driver.settle(),
    (e) => isEngineError(e, 'PROCESSING_FAILED') && e.details.operator === "mapAsync 'lookup'",
  );
});

test('the test driver runs mapAsync: settle() waits for the calls and what follows them (a repartition)', async () => {
  const p = pipeline('async-count');
  p.from('words', topic('words', json<{ w: string }>()))
    .mapAsync(
      'upper',
      async (v) => {
        await new Promise((resolve) => setTimeout(resolve, v.w.length % 3));
        return { w: v.w.toUpperCase() };
      },
      { concurrency: 4 },
    )
    .keyBy((v) => v.w)
    .count('per-word')
    .toStream()
    .to('out', topic('counts', json()));
  const words = ['a', 'bb', 'a', 'ccc', 'bb', 'a', 'dddd'];
  const driver = new TestDriver(p);
  for (const w of words) driver.pipeInput('words', { w });
  await driver.settle();
  const counts = new Map<string, number>();
  const expected = words.map((w) => {
    const key = w.toUpperCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return [key, counts.get(key)];
  });
  assert.deepEqual(
    driver.readOutput('counts').map((r) => [r.key, r.value]),
    expected,
  );
});
