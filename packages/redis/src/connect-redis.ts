import { Redis, type RedisOptions } from 'ioredis';
import { EngineError, isEngineError } from 'rivulet/connector';

/**
 * Throws INVALID_ARGUMENT unless `url` is a `redis://` or `rediss://` URL (the factories validate their
 * options before anything connects).
 */
export function assertRedisUrl(url: unknown, connector: string): asserts url is string {
  if (typeof url !== 'string' || !/^rediss?:\/\/[^\s]*$/.test(url))
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${connector}: option 'url' must be a redis:// or rediss:// URL`,
      {
        details: { connector, option: 'url', value: typeof url === 'string' ? url : typeof url },
      },
    );
}

/**
 * A new ioredis client that reconnects on its own (at most 1 s apart). ioredis reports each failed
 * reconnect as an 'error' event; callers see failures through their commands, so the event is
 * swallowed here rather than crashing the process as an unhandled 'error'.
 */
export function createRedisClient(url: string, connector: string, options: RedisOptions): Redis {
  const redis = new Redis(url, {
    connectionName: `rivulet-${connector}`,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
    ...options,
  });
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Opens an ioredis connection and resolves once it is ready. Ownership passes to the caller (who
 * `disconnect()`s it). If the server cannot be reached the connection is dropped (no background retries
 * are left behind) and the promise rejects with a retryable CONNECTOR_UNAVAILABLE.
 */
export async function connectRedis(url: string, connector: string, options: RedisOptions): Promise<Redis> {
  const redis = createRedisClient(url, connector, { ...options, lazyConnect: true });
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new EngineError(
      'CONNECTOR_UNAVAILABLE',
      `${connector}: cannot connect to Redis: ${message(error)}`,
      {
        cause: error,
        details: { connector },
      },
    );
  }
}

/**
 * Maps a failed ioredis command to an EngineError: a server reply error (ReplyError: wrong type, NOGROUP,
 * OOM...) is CONNECTOR_FAILED; anything else (closed connection, refused, timed out) is
 * CONNECTOR_UNAVAILABLE. Both are retryable: reopening may help.
 */
export function redisError(error: unknown, connector: string, what: string, details = {}): EngineError {
  if (isEngineError(error)) return error;
  const reply = error instanceof Error && error.name === 'ReplyError';
  return new EngineError(
    reply ? 'CONNECTOR_FAILED' : 'CONNECTOR_UNAVAILABLE',
    `${connector}: ${what} failed: ${message(error)}`,
    { cause: error, details: { connector, ...details } },
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
