import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { isEngineError } from 'rivulet/connector';
import { createRedisLookup } from '../src/redis-lookup.ts';
import { PrivateRedis } from './private-redis.ts';

// A private server, so INFO commandstats counts only this file's commands.
let server: PrivateRedis;
let admin: Redis;

/** How many times the server ran `command` since the last reset. */
async function calls(command: string): Promise<number> {
  const info = await admin.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

before(async () => {
  server = await PrivateRedis.start();
  admin = new Redis(server.url);
  const pipeline = admin.pipeline();
  for (let i = 0; i < 500; i++) pipeline.set(`user:${i}`, `name-${i}`);
  await pipeline.exec();
});
after(async () => {
  admin.disconnect();
  await server.stop();
});
beforeEach(async () => {
  await admin.config('RESETSTAT');
});

describe('redis lookup', () => {
  test('gets made together are answered by one MGET; missing keys are null', async () => {
    const lookup = createRedisLookup({ url: server.url, keyPrefix: 'user:' });
    try {
      await lookup.get('0'); // connects
      await admin.config('RESETSTAT');
      const keys = Array.from({ length: 600 }, (_, i) => String(i)); // 500..599 do not exist
      const values = await Promise.all(keys.map((key) => lookup.get(key)));
      assert.deepEqual(
        values,
        keys.map((key) => (Number(key) < 500 ? `name-${key}` : null)),
      );
      assert.equal(await calls('mget'), 1, 'one MGET for 600 keys');
      assert.equal(await calls('get'), 0);
      // Two rounds make two MGETs: batching does not wait for more.
      await Promise.all([lookup.get('1'), lookup.get('2')]);
      await lookup.get('3');
      assert.equal(await calls('mget'), 3);
    } finally {
      await lookup.close();
    }
  });

  test('the same key asked twice in one batch is one key of the MGET', async () => {
    const lookup = createRedisLookup({ url: server.url, keyPrefix: 'user:' });
    try {
      const [a, b, c] = await Promise.all([lookup.get('7'), lookup.get('7'), lookup.get('8')]);
      assert.deepEqual([a, b, c], ['name-7', 'name-7', 'name-8']);
      assert.equal(await calls('mget'), 1);
    } finally {
      await lookup.close();
    }
  });

  test('cache: hits within the TTL stay off the server; expiry by the injected clock; misses cached too', async () => {
    let now = 1_000;
    const lookup = createRedisLookup({
      url: server.url,
      keyPrefix: 'user:',
      cache: { maxEntries: 100, ttlMs: 5_000 },
      now: () => now,
    });
    try {
      assert.equal(await lookup.get('10'), 'name-10');
      assert.equal(await lookup.get('nope'), null);
      assert.equal(await calls('mget'), 2);
      await admin.set('user:10', 'renamed');
      await admin.set('user:nope', 'now here');
      now += 4_999;
      assert.equal(await lookup.get('10'), 'name-10', 'cached value within the TTL');
      assert.equal(await lookup.get('nope'), null, 'cached miss within the TTL');
      assert.equal(await calls('mget'), 2);
      now += 1;
      assert.equal(await lookup.get('10'), 'renamed', 'expired: read again');
      assert.equal(await lookup.get('nope'), 'now here');
      assert.equal(await calls('mget'), 4);
    } finally {
      await admin.set('user:10', 'name-10');
      await admin.del('user:nope');
      await lookup.close();
    }
  });

  test('cache: bounded, least recently used dropped first', async () => {
    const lookup = createRedisLookup({
      url: server.url,
      keyPrefix: 'user:',
      cache: { maxEntries: 2, ttlMs: 60_000 },
      now: () => 0,
    });
    try {
      await lookup.get('1');
      await lookup.get('2');
      await lookup.get('1'); // hit: 2 is now the least recently used
      await lookup.get('3'); // evicts 2
      assert.equal(await calls('mget'), 3);
      await lookup.get('1');
      await lookup.get('3');
      assert.equal(await calls('mget'), 3, '1 and 3 are cached');
      assert.equal(await lookup.get('2'), 'name-2');
      assert.equal(await calls('mget'), 4, '2 was evicted');
    } finally {
      await lookup.close();
    }
  });

  test('bad options: INVALID_ARGUMENT naming the option', () => {
    const bad: Array<[string, Record<string, unknown>]> = [
      ['url', { url: 'nope' }],
      ['keyPrefix', { url: server.url, keyPrefix: 3 }],
      ['cache.maxEntries', { url: server.url, cache: { maxEntries: 0, ttlMs: 1 } }],
      ['cache.ttlMs', { url: server.url, cache: { maxEntries: 1, ttlMs: -5 } }],
      ['now', { url: server.url, now: 5 }],
    ];
    for (const [option, options] of bad)
      assert.throws(
        () => createRedisLookup(options as never),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
        option,
      );
  });

  test('a get after close rejects; a server that cannot be reached rejects gets as CONNECTOR_UNAVAILABLE', async () => {
    const lookup = createRedisLookup({ url: server.url });
    await lookup.close();
    await assert.rejects(lookup.get('x'), (error: unknown) => isEngineError(error, 'CONNECTOR_FAILED'));
    const unreachable = createRedisLookup({ url: 'redis://127.0.0.1:1' });
    try {
      await assert.rejects(unreachable.get('x'), (error: unknown) => {
        assert.ok(isEngineError(error, 'CONNECTOR_UNAVAILABLE'), String(error));
        return true;
      });
    } finally {
      await unreachable.close();
    }
  });
});
