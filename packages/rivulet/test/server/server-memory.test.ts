import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memorySample, produceLoop } from '../../scripts/server-soak.ts';
import { ADMIN, withServer } from './server-harness.ts';

/**
 * A bounded soak: 20 s of produce (JSON, NDJSON, repeating Idempotency-Keys) and fetch requests over
 * loopback from 4 concurrent clients. The heap after a forced GC at the end may not exceed the one after
 * warm-up by more than a generous bound (a leak per request, e.g. a listener or an idempotency entry
 * never freed, grows past it over the ~10^4 requests). Prints the samples. The 5-minute version is
 * `tsx scripts/server-soak.ts --minutes 5`.
 */
test('heap stays bounded over 20 s of produce and fetch requests', { timeout: 120_000 }, async () => {
  await withServer({ limits: { requestsPerSecond: 1_000_000 } }, async (ctx) => {
    await ctx.engine.log.createTopic('soak', { partitions: 4 });
    const started = performance.now();
    // Warm-up: JIT, connection pools, the idempotency keys' first answers.
    await produceLoop(ctx.server.address, ADMIN, 'soak', { durationMs: 3000 });
    const before = memorySample(started, 0);
    const result = await produceLoop(ctx.server.address, ADMIN, 'soak', { durationMs: 20_000 });
    const after = memorySample(started, result.requests);
    process.stdout.write(`# memory: ${JSON.stringify({ before, after, records: result.records })}\n`);
    assert.deepEqual([...result.failures], [], 'every request answered 200');
    assert.ok(result.requests > 500, `${result.requests} requests`);
    const total = ctx.engine.log.describeTopic('soak').partitions.reduce((n, p) => n + p.highWatermark, 0);
    assert.ok(total >= result.records, 'every acknowledged record is in the log');
    assert.ok(
      after.heapUsedMB - before.heapUsedMB < 32,
      `heap grew ${after.heapUsedMB - before.heapUsedMB} MB`,
    );
  });
});
