/**
 * @rivulet/redis: Redis Streams as a source (positioned, or through a consumer group) and as a
 * transactional sink, and batched Redis lookups for enrichment. Tested against Redis 7.0.
 */
export { createRedisLookup, type RedisLookup, type RedisLookupOptions } from './redis-lookup.ts';
export {
  type RedisStreamSinkConfig,
  type RedisStreamSinkOptions,
  redisStreamSink,
} from './redis-stream-sink.ts';
export {
  type RedisStreamSourceConfig,
  type RedisStreamSourceOptions,
  redisStreamSource,
} from './redis-stream-source.ts';
