import { test } from 'node:test';
import { Redis } from 'ioredis';
import { sinkConformance, sourceConformance } from 'rivulet/connector/conformance';
import { SHARED_REDIS_URL } from './private-redis.ts';
import {
  redisGroupSourceHarness,
  redisStreamSinkHarness,
  redisStreamSourceHarness,
} from './redis-harness.ts';

test('server version (for the README)', async (t) => {
  const client = new Redis(SHARED_REDIS_URL);
  try {
    const info = await client.info('server');
    t.diagnostic(`shared ${/redis_version:(\S+)/.exec(info)?.[1]}`);
  } finally {
    client.disconnect();
  }
});

sourceConformance('redis-stream (XREAD by position)', redisStreamSourceHarness);
sourceConformance('redis-stream (consumer group)', redisGroupSourceHarness);
sinkConformance('redis-stream', redisStreamSinkHarness);
