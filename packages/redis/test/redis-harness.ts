import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { partitionForKey } from 'rivulet/connector';
import type {
  ProducedRecord,
  SinkFixture,
  SinkHarness,
  SourceFixture,
  SourceHarness,
  StoredRecord,
} from 'rivulet/connector/conformance';
import { redisStreamSink } from '../src/redis-stream-sink.ts';
import { redisStreamSource } from '../src/redis-stream-source.ts';
import { PrivateRedis, SHARED_REDIS_URL } from './private-redis.ts';

/** The server a fixture uses: the shared one, or a private restartable one. */
async function serverFor(restartable: boolean): Promise<{ url: string; server: PrivateRedis | undefined }> {
  if (!restartable) return { url: SHARED_REDIS_URL, server: undefined };
  const server = await PrivateRedis.start();
  return { url: server.url, server };
}

/** The stream keys of a (possibly partitioned) stream and the key a record with `key` goes to. */
function layout(stream: string, partitions: number | undefined) {
  const keys =
    partitions === undefined ? [stream] : Array.from({ length: partitions }, (_, p) => `${stream}:${p}`);
  const keyFor = (key: Uint8Array): string =>
    partitions === undefined ? stream : keys[partitionForKey(key, partitions)]!;
  return { keys, keyFor };
}

/** Writes records the way a plain Redis producer would: XADD <stream> * value <v> key <k>. */
async function produceWith(
  client: Redis,
  keyFor: (key: Uint8Array) => string,
  records: readonly ProducedRecord[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 1000) {
    const pipeline = client.pipeline();
    for (const record of records.slice(i, i + 1000)) {
      const key = Buffer.from(record.key);
      pipeline.xadd(keyFor(key), '*', 'value', record.value, 'key', key);
    }
    const results = (await pipeline.exec())!;
    for (const [error] of results) if (error) throw error;
  }
}

function sourceHarness(group: boolean): SourceHarness {
  return {
    features: group
      ? { ordered: false, persistent: true, positioned: false, replay: 'at-least-once' }
      : { ordered: true, persistent: true, positioned: true, replay: 'exactly-once' },
    partitioned: true,
    restartable: true,
    async create({ splits, restartable }): Promise<SourceFixture> {
      const { url, server } = await serverFor(restartable);
      const stream = `rivulet-test:src:${randomUUID()}`;
      const partitions = splits > 1 ? splits : undefined;
      const { keys, keyFor } = layout(stream, partitions);
      const client = new Redis(url, { maxRetriesPerRequest: null });
      client.on('error', () => undefined);
      const source = redisStreamSource({
        url,
        stream,
        partitions,
        group: group ? { name: `g-${randomUUID()}`, consumer: 'c1' } : undefined,
        blockMs: 500,
      });
      return {
        source,
        produce: (records) => produceWith(client, keyFor, records),
        restartServer: server === undefined ? undefined : () => server.restart(),
        async close() {
          try {
            if (server === undefined) await client.del(...keys);
          } finally {
            client.disconnect();
            await server?.stop();
          }
        },
      };
    },
  };
}

/** Redis streams read by position (XREAD): positioned, exactly-once replay. */
export const redisStreamSourceHarness: SourceHarness = sourceHarness(false);

/** Redis streams read through a consumer group (XREADGROUP + XACK): at-least-once replay. */
export const redisGroupSourceHarness: SourceHarness = sourceHarness(true);

/** The value limit the sink harness configures (the bad-records case sends one byte more). */
const SINK_MAX_VALUE_BYTES = 64 * 1024;

/**
 * The transactional stream sink on one stream. The conformance suite always opens pipeline 'suite',
 * sink 'sink', so a fixture removes the positions hash `rivulet:sink:suite:sink` before and after.
 */
export const redisStreamSinkHarness: SinkHarness = {
  guarantee: 'transactional',
  upsert: false,
  ordered: true,
  structured: false,
  maxValueBytes: SINK_MAX_VALUE_BYTES,
  restartable: true,
  async create({ restartable }): Promise<SinkFixture> {
    const { url, server } = await serverFor(restartable);
    const stream = `rivulet-test:sink:${randomUUID()}`;
    const hash = 'rivulet:sink:suite:sink';
    const client = new Redis(url, { maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    await client.del(hash);
    return {
      sink: redisStreamSink({ url, stream, maxValueBytes: SINK_MAX_VALUE_BYTES }),
      readAll: () => readStream(client, stream),
      restartServer: server === undefined ? undefined : () => server.restart(),
      async close() {
        try {
          if (server === undefined) await client.del(stream, hash);
        } finally {
          client.disconnect();
          await server?.stop();
        }
      },
    };
  },
};

/** Every entry of `stream` in order, as the conformance suite's StoredRecord. */
export async function readStream(client: Redis, stream: string): Promise<StoredRecord[]> {
  const stored: StoredRecord[] = [];
  let start = '-';
  for (;;) {
    const entries = await client.xrangeBuffer(stream, start, '+', 'COUNT', 1000);
    for (const [, fields] of entries) {
      const map = new Map<string, Buffer>();
      for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!.toString(), fields[i + 1]!);
      const value = map.get('value');
      stored.push({
        key: map.get('key')?.toString() ?? null,
        value: value === undefined ? null : (JSON.parse(value.toString()) as Record<string, unknown>),
      });
    }
    if (entries.length < 1000) return stored;
    start = `(${entries[entries.length - 1]![0].toString()}`;
  }
}
