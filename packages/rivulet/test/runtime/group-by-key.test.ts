import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, type Engine, partitionForKey, type RunOptions } from '../../src/index.ts';
import { byKeyPipeline } from './fixtures/by-key-pipeline.ts';

/**
 * groupByKey on the real runtime: purchases written to three partitions by murmur2 of the user key (as
 * a producer does), summed per user without a repartition topic; the committed table equals a plain
 * loop over the well-placed records. One record sits in a partition its key does not hash to and one has
 * no key: both reach the dead-letter topic (COPARTITION_MISMATCH, INVALID_RECORD), none is summed. In the
 * calling thread and in worker threads.
 */
const PARTITIONS = 3;
const modes: Array<{ name: string; options: RunOptions }> = [
  { name: 'in-thread', options: {} },
  {
    name: 'worker threads',
    options: { parallelism: 2, module: join(import.meta.dirname, 'fixtures', 'by-key-pipeline.ts') },
  },
];

async function withEngine(body: (engine: Engine) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-by-key-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await body(engine);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const mode of modes) {
  test(`groupByKey (${mode.name}): sums per record key with no repartition; misplaced and keyless records are dead-lettered`, async () => {
    await withEngine(async (engine) => {
      await engine.log.createTopic('purchases', { partitions: PARTITIONS });
      const expected = new Map<string, number>();
      const byPartition = Array.from({ length: PARTITIONS }, () => [] as Array<[string | null, number]>);
      for (let i = 0; i < 600; i++) {
        const user = `user-${(i * 7) % 23}`;
        const amount = (i * 31) % 97;
        byPartition[partitionForKey(Buffer.from(user), PARTITIONS)]!.push([user, amount]);
        expected.set(user, (expected.get(user) ?? 0) + amount);
      }
      const misplaced = 'user-5';
      const home = partitionForKey(Buffer.from(misplaced), PARTITIONS);
      const wrong = (home + 1) % PARTITIONS;
      byPartition[wrong]!.splice(10, 0, [misplaced, 1000]);
      byPartition[0]!.splice(3, 0, [null, 2000]);
      for (let p = 0; p < PARTITIONS; p++)
        await engine.log.append(
          'purchases',
          p,
          byPartition[p]!.map(([key, amount]) => ({
            key: key === null ? null : Buffer.from(key),
            value: Buffer.from(JSON.stringify({ amount })),
            headers: undefined,
            timestamp: 1000,
          })),
        );
      const run = await engine.run(byKeyPipeline(), {
        ...mode.options,
        errors: { process: { deadLetter: 'purchases-dlq' } },
        commitIntervalMs: 20,
      });
      while (run.status().state === 'running' && run.status().lag > 0)
        await new Promise((resolve) => setTimeout(resolve, 10));
      await run.stop();
      assert.equal(run.status().state, 'stopped');
      assert.equal(run.status().storeEntries.spent, expected.size, 'one state entry per user');

      const consumer = engine.log.createConsumer({
        topics: ['spent', 'purchases-dlq'],
        from: 'earliest',
        maxWaitMs: 20,
      });
      const table = new Map<string, number>();
      const dlq: Array<{ key: string | null; code: string | undefined; partition: string | undefined }> = [];
      for (let empty = 0; empty < 3; ) {
        const batches = await consumer.poll();
        if (batches.length === 0) empty++;
        for (const batch of batches)
          for (const r of batch.records) {
            if (batch.topic === 'spent') table.set(r.keyString()!, JSON.parse(r.valueString()!));
            else
              dlq.push({
                key: r.keyString(),
                code: r.headers?.get('rivulet.error.code')?.toString(),
                partition: r.headers?.get('rivulet.source.partition')?.toString(),
              });
          }
      }
      consumer.close();
      assert.deepEqual(
        [...table].sort(([a], [b]) => a.localeCompare(b)),
        [...expected].sort(([a], [b]) => a.localeCompare(b)),
      );
      assert.deepEqual(
        dlq.sort((a, b) => String(a.code).localeCompare(String(b.code))),
        [
          { key: misplaced, code: 'COPARTITION_MISMATCH', partition: String(wrong) },
          { key: null, code: 'INVALID_RECORD', partition: '0' },
        ],
      );
      assert.deepEqual(
        engine.log.listTopics().filter((t) => t.includes('repartition')),
        [],
        'no repartition topic',
      );
    });
  });
}
