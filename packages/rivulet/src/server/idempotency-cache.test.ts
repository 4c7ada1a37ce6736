import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEngineError } from '../model/index.ts';
import { IdempotencyCache } from './idempotency-cache.ts';

test('a key runs once within its TTL; another fingerprint is refused; failures and expiry forget it', async () => {
  let now = 0;
  const cache = new IdempotencyCache<number>({ ttlMs: 1000, now: () => now });
  let runs = 0;
  const run = async () => ++runs;
  const size = () => 8;
  assert.deepEqual(await cache.once('k', 'f1', run, size), { answer: 1, replay: false });
  assert.deepEqual(await cache.once('k', 'f1', run, size), { answer: 1, replay: true });
  await assert.rejects(cache.once('k', 'f2', run, size), (e) => isEngineError(e, 'IDEMPOTENCY_KEY_REUSED'));
  now = 999;
  assert.deepEqual(await cache.once('k', 'f1', run, size), { answer: 1, replay: true });
  now = 1000;
  assert.deepEqual(await cache.once('k', 'f2', run, size), { answer: 2, replay: false });
  await assert.rejects(
    cache.once('bad', 'f', () => Promise.reject(new Error('x')), size),
    /x/,
  );
  assert.deepEqual(await cache.once('bad', 'f', run, size), { answer: 3, replay: false });
  assert.equal(runs, 3);
});

test('memory is bounded by entries and bytes, oldest forgotten first', async () => {
  const cache = new IdempotencyCache<string>({ maxEntries: 100, maxBytes: 10_000 });
  for (let i = 0; i < 1000; i++)
    await cache.once(
      `key-${i}`,
      'f',
      async () => 'x'.repeat(50),
      (a) => a.length,
    );
  assert.ok(cache.size <= 100 && cache.bytes <= 10_000, `${cache.size} entries, ${cache.bytes} bytes`);
  assert.equal(
    (
      await cache.once(
        'key-999',
        'f',
        async () => 'new',
        () => 3,
      )
    ).replay,
    true,
  );
  assert.equal(
    (
      await cache.once(
        'key-0',
        'f',
        async () => 'new',
        () => 3,
      )
    ).replay,
    false,
  );
  const big = new IdempotencyCache<string>({ maxBytes: 1000 });
  for (let i = 0; i < 100; i++)
    await big.once(
      `k${i}`,
      'f',
      async () => 'y'.repeat(100),
      (a) => a.length,
    );
  assert.ok(big.bytes <= 1000 && big.size < 10, `${big.size} entries, ${big.bytes} bytes`);
});
