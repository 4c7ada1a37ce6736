import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLog } from '../../src/index.ts';
import { collect, startCli } from '../cli/cli-harness.ts';
import { until } from './server-harness.ts';

/**
 * `rivulet serve` as a process: with no $RIVULET_TOKEN it prints a random admin token once, listens,
 * runs the --pipeline module, answers with that token (and 401 without), and on SIGTERM stops the
 * pipeline with a final checkpoint and exits 0.
 */
test('rivulet serve: token, listening line, pipeline running, SIGTERM exits 0', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-serve-'));
  try {
    const log = await createLog({ dataDir });
    await log.createTopic('items');
    await log.close();
    const fixture = join(import.meta.dirname, '..', 'runtime', 'fixtures', 'items-pipeline.ts');
    const { RIVULET_TOKEN: _t, RIVULET_READ_TOKEN: _r, ...env } = process.env;
    const child = startCli(
      ['serve', '--data-dir', dataDir, '--port', '0', '--pipeline', fixture, '--parallelism', '1'],
      { env: env as Record<string, string> },
    );
    const done = collect(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
    });
    await until(() => /listening on (http:\/\/\S+)/.test(stderr), 30_000, 'the listening line');
    const address = /listening on (http:\/\/\S+)/.exec(stderr)![1]!;
    const token = /admin token: ([0-9a-f]{64})\n/.exec(stderr)?.[1];
    assert.ok(token !== undefined, stderr);
    assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
    const produce = (auth?: string) =>
      fetch(`${address}/api/topics/items/records`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(auth === undefined ? {} : { authorization: `Bearer ${auth}` }),
        },
        body: JSON.stringify({ records: [{ key: 'a', valueText: '{"id":1,"n":1}' }] }),
      });
    assert.equal((await produce()).status, 401);
    assert.equal((await produce(token)).status, 200);
    const pipelines = (await (await fetch(`${address}/api/pipelines`)).json()) as {
      pipelines: Array<{ name: string; state: string }>;
    };
    assert.deepEqual(
      pipelines.pipelines.map((p) => [p.name, p.state]),
      [['errors', 'running']],
    );
    child.kill('SIGTERM');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr.match(/admin token:/g)?.length, 1, 'the token is printed once');
    assert.match(result.stderr, /stopped\n$/);
    // The pipeline stopped with a final checkpoint: the record reached the output topic.
    const reopened = await createLog({ dataDir });
    try {
      assert.equal(reopened.partition('out', 0).highWatermark, 1);
    } finally {
      await reopened.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
