/**
 * `rivulet run` on a data directory whose pipeline has state to restore prints the restore progress on
 * stderr (not a TTY here: plain lines) for every store partition, ending at 100% with the number of
 * changelog records the log holds below the checkpointed offset.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine, type Log } from '../../src/index.ts';
import { collect, startCli, tempDir } from './cli-harness.ts';
import totals from './fixtures/reprocess-totals.ts';

const PARTITIONS = 2;

/** Per changelog partition with records, `<store>/<partition>` → its end offset and record count. */
async function changelogs(log: Log): Promise<Map<string, { end: number; records: number }>> {
  const found = new Map<string, { end: number; records: number }>();
  for (const topic of log.listTopics({ internal: true })) {
    const store = /^totals-(.+)-changelog$/.exec(topic)?.[1];
    if (store === undefined) continue;
    for (let p = 0; p < log.topicConfig(topic).partitions; p++) {
      const end = log.partition(topic, p).highWatermark;
      let records = 0;
      let offset = log.partition(topic, p).logStartOffset;
      while (offset < end) {
        const fetched = await log.fetch(topic, p, offset, 4096, 'uncommitted');
        records += fetched.records.filter((r) => r.offset < end).length;
        offset = fetched.nextOffset;
      }
      if (end > 0) found.set(`${store}/${p}`, { end, records });
    }
  }
  return found;
}

test('rivulet run prints plain restore progress lines ending at 100%', async () => {
  const dir = tempDir('run-restore');
  try {
    let expected: Map<string, { end: number; records: number }>;
    {
      const engine = await createEngine({ dataDir: dir.path, maintenanceInterval: false });
      await engine.log.createTopic('payments', { partitions: PARTITIONS });
      const run = await engine.run(totals, { commitIntervalMs: 20, parallelism: 1 });
      for (let round = 0; round < 2; round++) {
        for (let p = 0; p < PARTITIONS; p++)
          await engine.log.append(
            'payments',
            p,
            Array.from({ length: 40 }, (_, i) => ({
              key: null,
              value: Buffer.from(JSON.stringify({ customer: `c${(i * 7 + p) % 13}`, amount: i + round })),
              headers: undefined,
              timestamp: 0,
            })),
          );
        while (run.status().lag > 0) {
          assert.equal(run.status().state, 'running');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      await run.stop();
      expected = await changelogs(engine.log);
      await engine.close();
    }
    assert.equal(expected.size, PARTITIONS);

    const child = startCli([
      'run',
      'test/cli/fixtures/reprocess-totals.ts',
      '--data-dir',
      dir.path,
      '--parallelism',
      '1',
    ]);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const result = collect(child);
    const deadline = Date.now() + 60_000;
    // The status line comes once the run has started, after the restore.
    while (!/records in/.test(stderr) && child.exitCode === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGTERM');
    const { code } = await result;
    assert.equal(code, 0, stderr);

    const lines = stderr.split('\n').filter((line) => line.startsWith('restoring '));
    const seen = new Map<string, number[]>();
    for (const line of lines) {
      const m = /^restoring (\S+): (\d+) of (\d+) offsets \((\d+)%\), (\d+) records$/.exec(line);
      assert.ok(m !== null, `a restore line: ${line}`);
      const [, key, done, total, percent, records] = m;
      const want = expected.get(key!);
      assert.ok(want !== undefined, `${key} has a changelog with records`);
      assert.equal(Number(total), want.end);
      seen.set(key!, [...(seen.get(key!) ?? []), Number(percent)]);
      if (Number(percent) === 100) {
        assert.equal(Number(done), want.end);
        assert.equal(Number(records), want.records, `${key}: records below the checkpointed offset`);
      }
    }
    assert.deepEqual([...seen.keys()].sort(), [...expected.keys()].sort(), stderr);
    for (const [key, percents] of seen) {
      assert.equal(percents.at(-1), 100, `${key} ends at 100%`);
      assert.deepEqual(
        percents,
        [...percents].sort((a, b) => a - b),
        `${key}: percentages never go back`,
      );
    }
    // Restore lines come before the run's status lines.
    assert.ok(stderr.lastIndexOf('restoring ') < stderr.indexOf('records in'));
  } finally {
    dir.remove();
  }
});
