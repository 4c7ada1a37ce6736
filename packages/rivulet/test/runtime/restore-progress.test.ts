import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  createEngine,
  type Engine,
  type Log,
  partitionForKey,
  type StoreRestoreProgress,
} from '../../src/index.ts';
import { byKeyPipeline } from './fixtures/by-key-pipeline.ts';

/**
 * RunOptions.onRestoreProgress: a keyed sum runs over known input on in-memory stores and stops; a second
 * run on the same data directory replays the changelogs and reports its progress. The reports are checked
 * against the changelog read independently through the log API: per store partition, offsets never go
 * back, the last offset is the changelog's end (what a graceful stop checkpoints) and the last
 * recordsReplayed is the number of records below it. Once in this thread and once over 2 worker threads.
 */
const fixtures = join(import.meta.dirname, 'fixtures');
const PARTITIONS = 2;
const USERS = 12;

/** Three purchases per user, each written to the partition its key hashes to (as a producer does). */
async function appendPurchases(engine: Engine, round: number): Promise<void> {
  const byPartition: Buffer[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < USERS * 3; i++) {
    const key = Buffer.from(`user-${i % USERS}`);
    byPartition[partitionForKey(key, PARTITIONS)]!.push(key);
  }
  for (let p = 0; p < PARTITIONS; p++)
    await engine.log.append(
      'purchases',
      p,
      byPartition[p]!.map((key, i) => ({
        key,
        value: Buffer.from(JSON.stringify({ amount: round * 100 + i })),
        headers: undefined,
        timestamp: 0,
      })),
    );
}

async function waitForLagZero(run: {
  status(): { lag: number; state: string; error?: Error };
}): Promise<void> {
  while (run.status().lag > 0) {
    if (run.status().state !== 'running') throw run.status().error ?? new Error('the run stopped');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Per changelog partition with records: its end offset and the records below it, read from the log. */
async function changelogContents(log: Log): Promise<Map<string, { end: number; records: number }>> {
  const found = new Map<string, { end: number; records: number }>();
  for (const topic of log.listTopics({ internal: true })) {
    if (!topic.endsWith('-changelog')) continue;
    for (let p = 0; p < log.topicConfig(topic).partitions; p++) {
      const partition = log.partition(topic, p);
      const end = partition.highWatermark;
      let records = 0;
      let offset = partition.logStartOffset;
      while (offset < end) {
        const fetched = await log.fetch(topic, p, offset, 4096, 'uncommitted');
        records += fetched.records.filter((r) => r.offset < end).length;
        offset = fetched.nextOffset;
      }
      if (end > 0) found.set(`${topic}/${p}`, { end, records });
    }
  }
  return found;
}

async function checkRestoreProgress(parallelism: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-restore-progress-'));
  try {
    let expected: Map<string, { end: number; records: number }>;
    {
      const engine = await createEngine({ dataDir, maintenanceInterval: false });
      await engine.log.createTopic('purchases', { partitions: PARTITIONS });
      const run = await engine.run(byKeyPipeline(), { commitIntervalMs: 20, parallelism: 1 });
      // Two rounds, each checkpointed: every key is in its changelog at least twice.
      await appendPurchases(engine, 1);
      await waitForLagZero(run);
      await appendPurchases(engine, 2);
      await waitForLagZero(run);
      await run.stop();
      expected = await changelogContents(engine.log);
      await engine.close();
    }
    assert.equal(expected.size, PARTITIONS, 'one changelog with records per input partition');
    let keys = 0;
    for (const { records } of expected.values()) keys += records;
    assert.ok(keys >= 2 * USERS, 'each key written at each of the two checkpoints');

    const reports: StoreRestoreProgress[] = [];
    const engine = await createEngine({ dataDir, maintenanceInterval: false });
    try {
      const run = await engine.run(byKeyPipeline(), {
        commitIntervalMs: 20,
        parallelism,
        module: join(fixtures, 'by-key-pipeline.ts'),
        onRestoreProgress: (progress) => reports.push(progress),
      });
      assert.equal(run.status().workers, parallelism === 1 ? 0 : parallelism);
      await run.stop();
    } finally {
      await engine.close();
    }

    const byPartition = new Map<string, StoreRestoreProgress[]>();
    for (const report of reports) {
      const key = `by-key-${report.store}-changelog/${report.partition}`;
      byPartition.set(key, [...(byPartition.get(key) ?? []), report]);
    }
    assert.deepEqual([...byPartition.keys()].sort(), [...expected.keys()].sort());
    for (const [key, list] of byPartition) {
      const { end, records } = expected.get(key)!;
      for (let i = 1; i < list.length; i++) {
        assert.ok(list[i]!.offset >= list[i - 1]!.offset, `${key}: offsets never go back`);
        assert.ok(list[i]!.recordsReplayed >= list[i - 1]!.recordsReplayed, `${key}: counts never go back`);
      }
      const last = list.at(-1)!;
      assert.equal(last.upToOffset, end, `${key}: restored up to the changelog's end`);
      assert.equal(last.offset, end, `${key}: the last report reaches upToOffset`);
      assert.equal(last.recordsReplayed, records, `${key}: every changelog record below the end replayed`);
      assert.ok(list.every((r) => r.startOffset === 0 && r.upToOffset === end));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('restore progress reports every store partition up to its checkpointed offset (in this thread)', async () => {
  await checkRestoreProgress(1);
});

test('restore progress crosses from 2 worker threads to the callback', async () => {
  await checkRestoreProgress(2);
});
