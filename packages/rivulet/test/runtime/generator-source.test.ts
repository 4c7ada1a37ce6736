import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, type Engine, isEngineError } from '../../src/index.ts';
import {
  failure,
  generatorPipeline,
  itemAt,
  KEYS,
  PARTITIONS,
  PER_PARTITION,
} from './fixtures/generator-pipeline.ts';

/**
 * An in-process generator source (`generatorSource`) on the real runtime: its positions are checkpointed
 * like offsets, so a pipeline that fails mid-way and restarts rolls back to its last checkpoint and
 * resumes there: every generated record reaches the output exactly once and the keyed counts equal a
 * plain loop; in the calling thread and in worker threads (each generating its own partitions).
 */
async function readAll(
  engine: Engine,
  topicName: string,
): Promise<Array<{ key: string | null; value: unknown }>> {
  const consumer = engine.log.createConsumer({ topics: [topicName], from: 'earliest', maxWaitMs: 5 });
  const out: Array<{ key: string | null; value: unknown }> = [];
  try {
    for (let empty = 0; empty < 2; ) {
      const batches = await consumer.poll();
      if (batches.length === 0) empty++;
      for (const b of batches)
        for (const r of b.records) out.push({ key: r.keyString(), value: JSON.parse(r.valueString()!) });
    }
  } finally {
    consumer.close();
  }
  return out;
}

async function drain(run: Awaited<ReturnType<Engine['run']>>): Promise<void> {
  while (
    run.status().state === 'running' &&
    (run.status().lag > 0 || run.status().recordsIn < PARTITIONS * PER_PARTITION)
  )
    await new Promise((resolve) => setTimeout(resolve, 10));
}

function assertExactlyOnce(
  items: Array<{ value: unknown }>,
  counts: Array<{ key: string | null; value: unknown }>,
) {
  const seen = new Set<string>();
  for (const { value } of items) {
    const item = value as { p: number; i: number; key: number };
    const id = `${item.p}:${item.i}`;
    assert.ok(!seen.has(id), `record ${id} was emitted twice`);
    assert.deepEqual(item, itemAt(item.p, item.i));
    seen.add(id);
  }
  assert.equal(seen.size, PARTITIONS * PER_PARTITION);
  const expected = new Map<string, number>();
  for (let p = 0; p < PARTITIONS; p++)
    for (let i = 0; i < PER_PARTITION; i++) {
      const key = String(itemAt(p, i).key);
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
  const latest = new Map<string, number>();
  const updates = new Map<string, number>();
  for (const { key, value } of counts) {
    // Each key's updates are 1, 2, 3...: none lost, none repeated.
    assert.equal(value, (updates.get(key!) ?? 0) + 1, `count update of key ${key}`);
    updates.set(key!, value as number);
    latest.set(key!, value as number);
  }
  assert.equal(latest.size, KEYS);
  assert.deepEqual(latest, expected);
}

test('a generator source resumes exactly once from its checkpoint after a failure', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-generator-'));
  try {
    const engine = await createEngine({ dataDir, maintenanceInterval: false });
    try {
      failure.at = 17_000; // partition 0 and 1 both get there; the first to ask fails the run
      const first = await engine.run(generatorPipeline(), { commitIntervalMs: 10 });
      await assert.rejects(
        first.done,
        (e) => isEngineError(e) && /generator failure at 17000/.test(e.message),
      );
      assert.equal(first.status().state, 'failed');
      const before = first.status().recordsIn;
      assert.ok(before > 0 && before < PARTITIONS * PER_PARTITION, `progress before the failure: ${before}`);
      const second = await engine.run(generatorPipeline(), { commitIntervalMs: 10 });
      await drain(second);
      await second.stop();
      assertExactlyOnce(await readAll(engine, 'generated-items'), await readAll(engine, 'generated-counts'));
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a generator source in worker threads: each worker generates its own partitions', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-generator-'));
  try {
    const engine = await createEngine({ dataDir, maintenanceInterval: false });
    try {
      const run = await engine.run(generatorPipeline(), {
        parallelism: 2,
        module: join(import.meta.dirname, 'fixtures', 'generator-pipeline.ts'),
        commitIntervalMs: 20,
      });
      assert.equal(run.status().workers, 2);
      await drain(run);
      await run.stop();
      assertExactlyOnce(await readAll(engine, 'generated-items'), await readAll(engine, 'generated-counts'));
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
