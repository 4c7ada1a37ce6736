import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLog, type Log, type PartitionStats } from '../../src/index.ts';

/**
 * Log partition counters against independent references: records appended equal the records the test
 * appended, bytes appended equal the size of the partition's segment files on disk, and syncs are
 * counted where they happen: one O_DSYNC group write per append awaited alone under `fsync` durability,
 * one per group when appends share a group commit, none under `none` until an explicit sync.
 */
async function withLog(body: (log: Log, dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-partition-stats-'));
  const log = await createLog({ dataDir, maintenanceInterval: false });
  try {
    await body(log, dataDir);
  } finally {
    await log.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function record(size: number, i: number) {
  return { key: Buffer.from(`k${i}`), value: Buffer.alloc(size, i % 251), headers: undefined, timestamp: i };
}

/** Bytes of the partition's segment (.log) files on disk. */
function segmentBytes(dataDir: string, topic: string, partition: number): number {
  const dir = join(dataDir, 'topics', topic, String(partition));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

function statsOf(log: Log, topic: string, partition: number): PartitionStats {
  const found = log.partitionStats().find((s) => s.topic === topic && s.partition === partition);
  assert.ok(found, `${topic}/${partition} listed`);
  return found;
}

test('appended records and bytes match what was appended and what is on disk; each fsync append is a sync', async () => {
  await withLog(async (log, dataDir) => {
    await log.createTopic('sized', { partitions: 2 });
    const sizes = [10, 200, 3000, 1, 40_000, 77, 512];
    let appends = 0;
    for (let i = 0; i < sizes.length; i++) {
      // 1 to 3 records per append, all to partition 0.
      const batch = Array.from({ length: (i % 3) + 1 }, (_, j) => record(sizes[i]!, i * 10 + j));
      await log.append('sized', 0, batch);
      appends++;
    }
    const expectedRecords = sizes.reduce((n, _, i) => n + (i % 3) + 1, 0);
    const stats = statsOf(log, 'sized', 0);
    assert.equal(stats.appendedRecords, expectedRecords);
    assert.equal(stats.highWatermark, expectedRecords);
    assert.equal(stats.appendedBytes, segmentBytes(dataDir, 'sized', 0));
    assert.equal(stats.sizeBytes, segmentBytes(dataDir, 'sized', 0));
    assert.ok(stats.appendedBytes > sizes.reduce((a, b) => a + b, 0), 'every value byte is in there');
    assert.equal(stats.syncs.count, appends, 'one durable write per append awaited alone');
    assert.equal(
      stats.syncs.counts.reduce((a, b) => a + b, 0),
      stats.syncs.count,
    );
    assert.ok(stats.syncs.sum > 0);
    assert.equal(stats.internal, false);

    const untouched = statsOf(log, 'sized', 1);
    assert.deepEqual([untouched.appendedRecords, untouched.appendedBytes, untouched.syncs.count], [0, 0, 0]);
  });
});

test('appends made together share one group commit: one sync for all of them', async () => {
  await withLog(async (log, dataDir) => {
    await log.createTopic('grouped', { partitions: 1 });
    const appends = Array.from({ length: 20 }, (_, i) => log.append('grouped', 0, [record(100 + i, i)]));
    await Promise.all(appends);
    const stats = statsOf(log, 'grouped', 0);
    assert.equal(stats.appendedRecords, 20);
    assert.equal(stats.appendedBytes, segmentBytes(dataDir, 'grouped', 0));
    assert.equal(stats.syncs.count, 1);
  });
});

test('durability none: no sync until one is asked for, then it is counted', async () => {
  await withLog(async (log, dataDir) => {
    await log.createTopic('lazy', { partitions: 1, durability: 'none' });
    for (let i = 0; i < 5; i++) await log.append('lazy', 0, [record(64, i)]);
    assert.equal(statsOf(log, 'lazy', 0).syncs.count, 0);
    assert.equal(statsOf(log, 'lazy', 0).appendedRecords, 5);
    await log.partition('lazy', 0).sync();
    const stats = statsOf(log, 'lazy', 0);
    assert.equal(stats.syncs.count, 1);
    assert.equal(stats.appendedBytes, segmentBytes(dataDir, 'lazy', 0));
  });
});
