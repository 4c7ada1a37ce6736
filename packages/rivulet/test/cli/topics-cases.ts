/** `rivulet topics ...` and the CLI's error and usage exits, through child processes. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type CaseRegistrar, runCli, tempDir } from './cli-harness.ts';

/** Registers the cases with `it` (cli.test.ts runs every case file's cases concurrently). */
export function topicsCases(it: CaseRegistrar): void {
  it('creates, lists, describes and deletes topics; TOPIC_EXISTS and UNKNOWN_TOPIC exit 1 with a hint', async () => {
    const dir = tempDir('topics');
    try {
      const d = ['--data-dir', dir.path];
      const created = await runCli([
        'topics',
        'create',
        'orders',
        '--partitions',
        '3',
        '--durability',
        'interval(100ms)',
        '--cleanup',
        'compact',
        '--retention-time',
        '7d',
        '--retention-bytes',
        '1000000',
        '--compression',
        'gzip',
        ...d,
      ]);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^created topic orders: 3 partitions/);

      const again = await runCli(['topics', 'create', 'orders', ...d]);
      assert.equal(again.code, 1);
      assert.equal(
        again.stderr,
        "error TOPIC_EXISTS: topic 'orders' already exists\nhint: see it with: rivulet topics describe orders\n",
      );

      const described = await runCli(['topics', 'describe', 'orders', '--json', ...d]);
      assert.equal(described.code, 0, described.stderr);
      const description = JSON.parse(described.stdout) as {
        config: Record<string, unknown>;
        partitions: Array<Record<string, unknown>>;
      };
      assert.deepEqual(
        {
          name: description.config.name,
          partitions: description.config.partitions,
          durability: description.config.durability,
          cleanup: description.config.cleanup,
          retentionMs: description.config.retentionMs,
          retentionBytes: description.config.retentionBytes,
          compression: description.config.compression,
        },
        {
          name: 'orders',
          partitions: 3,
          durability: 'interval(100ms)',
          cleanup: 'compact',
          retentionMs: 7 * 86_400_000,
          retentionBytes: 1_000_000,
          compression: 'gzip',
        },
      );
      assert.deepEqual(
        description.partitions.map((p) => [p.partition, p.logStartOffset, p.highWatermark]),
        [
          [0, 0, 0],
          [1, 0, 0],
          [2, 0, 0],
        ],
      );

      const text = await runCli(['topics', 'describe', 'orders', ...d]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^retention time +7d$/m);
      assert.match(text.stdout, /^durability +interval\(100ms\)$/m);
      assert.match(text.stdout, /^PARTITION +START +END +SIZE_BYTES +SEGMENTS +STATUS$/m);
      assert.match(text.stdout, /^2 +0 +0 +\d+ +1 +ok$/m);

      const listed = await runCli(['topics', 'list', '--json', ...d]);
      assert.deepEqual(JSON.parse(listed.stdout), [{ name: 'orders', partitions: 3 }]);

      const deleted = await runCli(['topics', 'delete', 'orders', ...d]);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(deleted.stdout, 'deleted topic orders\n');
      const after = await runCli(['topics', 'list', ...d]);
      assert.equal(after.code, 0, after.stderr);
      assert.equal(after.stdout, '');

      const gone = await runCli(['topics', 'delete', 'orders', ...d]);
      assert.equal(gone.code, 1);
      assert.equal(
        gone.stderr,
        "error UNKNOWN_TOPIC: topic 'orders' does not exist\nhint: create it with: rivulet topics create orders\n",
      );
    } finally {
      dir.remove();
    }
  });

  it('fails cleanly without a data directory, and never creates one by reading', async () => {
    const dir = tempDir('missing');
    try {
      const missing = join(dir.path, 'nothing-here');
      const d = ['--data-dir', missing];
      const [produced, listed] = await Promise.all([
        runCli(['produce', 'nope', ...d], { input: '{"a":1}\n' }),
        runCli(['topics', 'list', ...d]),
      ]);
      assert.equal(produced.code, 1);
      assert.match(produced.stderr, /^error UNKNOWN_TOPIC: topic 'nope' does not exist/);
      assert.match(produced.stderr, /\nhint: create it with: rivulet topics create nope\n$/);
      assert.doesNotMatch(produced.stderr, /\n\s+at /);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(listed.stdout, '');
      const verified = await runCli(['log', 'verify', ...d]);
      assert.equal(verified.code, 1);
      assert.match(verified.stderr, /^error INVALID_ARGUMENT: there is no data directory/);
      assert.equal(existsSync(missing), false);
    } finally {
      dir.remove();
    }
  });

  it('exits 2 on usage errors', async () => {
    const dir = tempDir('usage');
    try {
      const d = ['--data-dir', dir.path];
      const results = await Promise.all([
        runCli(['topics', 'create', 'x', '--partitions', 'abc', ...d]),
        runCli(['consume', 'x', '--from-beginning', '--offset', '3', ...d]),
        runCli(['produce', ...d]),
        runCli([]),
      ]);
      for (const r of results) assert.equal(r.code, 2, r.stderr);
      assert.match(results[0]!.stderr, /--partitions <n>.*'abc' is invalid/);
      assert.match(results[1]!.stderr, /cannot be used with/);
      assert.match(results[2]!.stderr, /missing required argument 'topic'/);
    } finally {
      dir.remove();
    }
  });
}
