import type { Redis } from 'ioredis';
import { EngineError, type SinkConnector } from 'rivulet/connector';
import { assertRedisUrl, connectRedis, redisError } from './connect-redis.ts';
import { RedisStreamWriter } from './redis-stream-writer.ts';

const CONNECTOR = 'redis-stream';
/** Redis's default `proto-max-bulk-len`, used when the server does not let us read its setting. */
const DEFAULT_MAX_BULK = 512 * 1024 * 1024;

export interface RedisStreamSinkOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS). */
  url: string;
  /** The stream key; with `partitions`, the prefix of the partition streams `<stream>:<p>`. */
  stream: string;
  /**
   * Writes to `partitions` streams `<stream>:<p>`, p = partitionForKey(key bytes, n) (murmur2, as the
   * source and the embedded log do); a record without a key goes to its outbox partition modulo n.
   */
  partitions?: number;
  /** Trims each stream to about this many entries on every add (XADD MAXLEN ~): unread entries may go. */
  maxLen?: number;
  /**
   * Refuses (INVALID_RECORD) a record whose value, key or any header is longer than this. Default and
   * upper bound: the server's `proto-max-bulk-len` (read at open; 512 MiB if CONFIG is not allowed).
   */
  maxValueBytes?: number;
}

/** Resolved sink options. */
export interface RedisStreamSinkConfig {
  readonly url: string;
  readonly stream: string;
  readonly partitions: number | undefined;
  readonly maxLen: number | undefined;
  readonly maxValueBytes: number | undefined;
}

/**
 * A transactional sink appending records to Redis streams. `write` only buffers; `commit(positions)`
 * sends one MULTI/EXEC holding every buffered XADD and the HSET of the positions into
 * `rivulet:sink:<pipeline>:<name>`, so the records and the positions that say they are written become
 * visible together or not at all, and `committed()` reads them back. The engine replays from there, so
 * every record is stored exactly once (README). The buffer holds what the engine writes in one commit
 * interval.
 */
export function redisStreamSink(options: RedisStreamSinkOptions): SinkConnector {
  const config = resolveSinkOptions(options);
  return {
    kind: 'sink-connector',
    connector: CONNECTOR,
    guarantee: 'transactional',
    open: async (context) => {
      // No offline queue: a command while the connection is down fails at once (retryable), and the
      // engine reopens and replays from the committed positions instead of waiting on a stale writer.
      const redis = await connectRedis(config.url, CONNECTOR, { enableOfflineQueue: false });
      try {
        const serverMax = await maxBulkLength(redis);
        const maxBytes = Math.min(config.maxValueBytes ?? serverMax, serverMax);
        const writer = new RedisStreamWriter(redis, config, context, maxBytes);
        await writer.load();
        return writer;
      } catch (error) {
        redis.disconnect();
        throw redisError(error, CONNECTOR, `opening sink '${context.name}'`, { sink: context.name });
      }
    },
  };
}

async function maxBulkLength(redis: Redis): Promise<number> {
  try {
    const reply = (await redis.config('GET', 'proto-max-bulk-len')) as string[];
    const value = Number(reply[1]);
    return Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_MAX_BULK;
  } catch {
    return DEFAULT_MAX_BULK; // CONFIG is often renamed or denied on managed servers
  }
}

function resolveSinkOptions(options: RedisStreamSinkOptions): RedisStreamSinkConfig {
  const fail = (option: string, why: string, value: unknown): never => {
    throw new EngineError('INVALID_ARGUMENT', `${CONNECTOR} sink: option '${option}' ${why}`, {
      details: { connector: CONNECTOR, option, value },
    });
  };
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object', options);
  assertRedisUrl(options.url, CONNECTOR);
  if (typeof options.stream !== 'string' || options.stream.length === 0)
    fail('stream', 'must be a non-empty string', options.stream);
  const { partitions, maxLen, maxValueBytes } = options;
  if (partitions !== undefined && !(Number.isInteger(partitions) && partitions >= 1 && partitions <= 100_000))
    fail('partitions', 'must be an integer from 1 to 100000', partitions);
  if (maxLen !== undefined && !(Number.isSafeInteger(maxLen) && maxLen >= 1))
    fail('maxLen', 'must be a positive integer', maxLen);
  if (maxValueBytes !== undefined && !(Number.isSafeInteger(maxValueBytes) && maxValueBytes >= 1))
    fail('maxValueBytes', 'must be a positive integer', maxValueBytes);
  return { url: options.url, stream: options.stream, partitions, maxLen, maxValueBytes };
}
