import type { Redis } from 'ioredis';
import { EngineError, type SourceConnector, type SourceFeatures, type SourceReader } from 'rivulet/connector';
import { assertRedisUrl, connectRedis, redisError } from './connect-redis.ts';
import { RedisStreamReader } from './redis-stream-reader.ts';
import { compareStreamIds, isStreamId } from './stream-id.ts';
import { withinTime } from './within-time.ts';

const CONNECTOR = 'redis-stream';
/** The longest `open` waits for the server once connected (it may go away meanwhile). */
const OPEN_TIMEOUT_MS = 30_000;

export interface RedisStreamSourceOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS). */
  url: string;
  /** The stream key; with `partitions`, the prefix of the partition streams `<stream>:<p>`. */
  stream: string;
  /**
   * Reads `partitions` streams `<stream>:0` ... `<stream>:<n-1>`, one split each; a writer puts a record
   * with key bytes `k` in `<stream>:<partitionForKey(k, n)>` (murmur2, like the embedded log).
   */
  partitions?: number;
  /**
   * Reads through a consumer group (created with MKSTREAM if absent) and acknowledges (XACK) on commit,
   * instead of reading by position. Replays at least once; several consumers may share the group.
   */
  group?: { name: string; consumer: string };
  /**
   * Where a split starts when opened without a position: 'earliest' (default: the whole stream),
   * 'latest' (only entries added after the open) or an entry id `<ms>-<seq>` (entries after it).
   * In group mode it is the id a new group starts from (an existing group keeps its own).
   */
  startFrom?: 'earliest' | 'latest' | string;
  /** The most entries fetched by one XREAD (default 1000; a poll's maxRecords lowers it). */
  count?: number;
  /** The longest one blocking XREAD waits on the server (default 1000 ms). */
  blockMs?: number;
}

/** Resolved source options. */
export interface RedisStreamSourceConfig {
  readonly url: string;
  readonly stream: string;
  readonly partitions: number | undefined;
  readonly group: { readonly name: string; readonly consumer: string } | undefined;
  readonly startFrom: string;
  readonly count: number;
  readonly blockMs: number;
}

/**
 * A source reading Redis streams. Without a group it reads by position: a split's position is the id
 * of the last entry returned, `open(split, position)` resumes right after it, and `commit` does
 * nothing (replay exactly once). With a group it reads with XREADGROUP, re-delivers this consumer's
 * pending entries first, and `commit(position)` XACKs what it returned up to `position` (replay at
 * least once; entries re-delivered after a lost connection may come out of order).
 */
export function redisStreamSource(options: RedisStreamSourceOptions): SourceConnector {
  const config = resolveSourceOptions(options);
  const splitNames =
    config.partitions === undefined
      ? [config.stream]
      : Array.from({ length: config.partitions }, (_, p) => `${config.stream}:${p}`);
  const features: SourceFeatures =
    config.group === undefined
      ? { ordered: true, persistent: true, positioned: true, replay: 'exactly-once' }
      : { ordered: false, persistent: true, positioned: false, replay: 'at-least-once' };
  return {
    kind: 'source-connector',
    connector: CONNECTOR,
    features,
    splits: async () => splitNames,
    open: async (split, position) => {
      if (!splitNames.includes(split))
        throw new EngineError('INVALID_ARGUMENT', `${CONNECTOR}: '${split}' is not a split of this source`, {
          details: { connector: CONNECTOR, split },
        });
      if (position !== undefined && !isStreamId(position))
        throw new EngineError(
          'SOURCE_POSITION_INVALID',
          `${CONNECTOR}: position '${position}' of split '${split}' is not a stream entry id (<ms>-<seq>)`,
          { details: { connector: CONNECTOR, split, position } },
        );
      return openReader(config, split, position);
    },
  };
}

async function openReader(
  config: RedisStreamSourceConfig,
  split: string,
  position: string | undefined,
): Promise<SourceReader> {
  const redis = await connectRedis(config.url, CONNECTOR, {
    // A blocked read stays queued across a reconnect and is sent again (never rejected for retries).
    maxRetriesPerRequest: null,
  });
  try {
    // The connection queues commands while it reconnects: bound the wait for the server.
    const timeout = () =>
      new EngineError('CONNECTOR_UNAVAILABLE', `${CONNECTOR}: opening '${split}' timed out`, {
        details: { connector: CONNECTOR, split },
      });
    if (config.group === undefined) {
      const start = await withinTime(
        startId(redis, split, position, config.startFrom),
        OPEN_TIMEOUT_MS,
        timeout,
      );
      return new RedisStreamReader(redis, config, split, start);
    }
    const group = config.group;
    await withinTime(
      (async () => {
        await createGroup(redis, split, group.name, config.startFrom);
        if (position !== undefined) await ackPendingUpTo(redis, split, group, position);
      })(),
      OPEN_TIMEOUT_MS,
      timeout,
    );
    return new RedisStreamReader(redis, config, split, position ?? '0-0');
  } catch (error) {
    redis.disconnect();
    throw redisError(error, CONNECTOR, `opening split '${split}'`, { split });
  }
}

/** The id a positioned reader reads after; rejects positions the stream cannot resume from. */
async function startId(
  redis: Redis,
  split: string,
  position: string | undefined,
  startFrom: string,
): Promise<string> {
  const info = await streamInfo(redis, split);
  if (position === undefined) {
    if (startFrom === 'earliest') return '0-0';
    if (startFrom === 'latest') return info?.lastGeneratedId ?? '0-0';
    return startFrom;
  }
  const invalid = (why: string) =>
    new EngineError(
      'SOURCE_POSITION_INVALID',
      `${CONNECTOR}: cannot resume '${split}' after ${position}: ${why}`,
      {
        details: { connector: CONNECTOR, split, position },
      },
    );
  if (info === undefined) {
    if (position === '0-0') return position;
    throw invalid('the stream does not exist (deleted, or the server lost its data)');
  }
  if (compareStreamIds(position, info.lastGeneratedId) > 0)
    throw invalid(`the stream ends at ${info.lastGeneratedId} (recreated, or the server lost its data)`);
  // Trimming does not record which ids it removed. When the stream now starts after the position and
  // entries were removed, entries right after the position may be among them: refuse rather than skip.
  // (Only a position that was the last entry of a trimmed node, with nothing after it trimmed, is refused
  // needlessly.)
  if (
    info.firstEntryId !== undefined &&
    compareStreamIds(info.firstEntryId, position) > 0 &&
    (info.entriesAdded > info.length || compareStreamIds(info.maxDeletedEntryId, position) > 0)
  )
    throw invalid(
      `the stream was trimmed and now starts at ${info.firstEntryId}; entries after it may be lost`,
    );
  return position;
}

interface StreamInfo {
  length: number;
  entriesAdded: number;
  lastGeneratedId: string;
  maxDeletedEntryId: string;
  firstEntryId: string | undefined;
}

/** XINFO STREAM (Redis 7 fields), or undefined when the key does not exist. */
async function streamInfo(redis: Redis, key: string): Promise<StreamInfo | undefined> {
  let reply: unknown[];
  try {
    reply = (await redis.call('XINFO', 'STREAM', key)) as unknown[];
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return undefined;
    throw error;
  }
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  const first = fields.get('first-entry') as [string, unknown] | null | undefined;
  const length = Number(fields.get('length') ?? 0);
  return {
    length,
    // Redis < 7 has no entries-added: then removals cannot be seen and are not checked.
    entriesAdded: Number(fields.get('entries-added') ?? length),
    lastGeneratedId: String(fields.get('last-generated-id') ?? '0-0'),
    maxDeletedEntryId: String(fields.get('max-deleted-entry-id') ?? '0-0'),
    firstEntryId: first ? String(first[0]) : undefined,
  };
}

async function createGroup(redis: Redis, key: string, group: string, startFrom: string): Promise<void> {
  const id = startFrom === 'earliest' ? '0' : startFrom === 'latest' ? '$' : startFrom;
  try {
    await redis.xgroup('CREATE', key, group, id, 'MKSTREAM');
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  }
}

/**
 * Acknowledges this consumer's pending entries up to `position`: the engine reopens with the position
 * of a durable checkpoint, so those entries are safely in it even if the commit never reached Redis.
 */
async function ackPendingUpTo(
  redis: Redis,
  key: string,
  group: { name: string; consumer: string },
  position: string,
): Promise<void> {
  for (;;) {
    const pending = (await redis.xpending(key, group.name, '-', position, 1000, group.consumer)) as Array<
      [string, ...unknown[]]
    >;
    if (pending.length === 0) return;
    await redis.xack(key, group.name, ...pending.map((entry) => entry[0]));
    if (pending.length < 1000) return;
  }
}

function resolveSourceOptions(options: RedisStreamSourceOptions): RedisStreamSourceConfig {
  const fail = (option: string, why: string, value: unknown): never => {
    throw new EngineError('INVALID_ARGUMENT', `${CONNECTOR} source: option '${option}' ${why}`, {
      details: { connector: CONNECTOR, option, value },
    });
  };
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object', options);
  assertRedisUrl(options.url, CONNECTOR);
  if (typeof options.stream !== 'string' || options.stream.length === 0)
    fail('stream', 'must be a non-empty string', options.stream);
  const { partitions, group, startFrom = 'earliest', count = 1000, blockMs = 1000 } = options;
  if (partitions !== undefined && !(Number.isInteger(partitions) && partitions >= 1 && partitions <= 100_000))
    fail('partitions', 'must be an integer from 1 to 100000', partitions);
  if (group !== undefined) {
    if (typeof group !== 'object' || group === null) fail('group', 'must be { name, consumer }', group);
    if (typeof group.name !== 'string' || group.name.length === 0)
      fail('group.name', 'must be a non-empty string', group.name);
    if (typeof group.consumer !== 'string' || group.consumer.length === 0)
      fail('group.consumer', 'must be a non-empty string', group.consumer);
  }
  if (
    typeof startFrom !== 'string' ||
    !(startFrom === 'earliest' || startFrom === 'latest' || isStreamId(startFrom))
  )
    fail('startFrom', "must be 'earliest', 'latest' or an entry id <ms>-<seq>", startFrom);
  if (!(Number.isInteger(count) && count >= 1 && count <= 100_000))
    fail('count', 'must be an integer from 1 to 100000', count);
  if (!(Number.isInteger(blockMs) && blockMs >= 1 && blockMs <= 600_000))
    fail('blockMs', 'must be an integer from 1 to 600000 (ms)', blockMs);
  return {
    url: options.url,
    stream: options.stream,
    partitions,
    group: group === undefined ? undefined : { name: group.name, consumer: group.consumer },
    startFrom,
    count,
    blockMs,
  };
}
