/**
 * Conformance harnesses for the Kafka source and sink, each fixture on its own librdkafka mock cluster
 * (test/mock-cluster.ts), or on the broker in KAFKA_BOOTSTRAP when `kafkaBrokerFromEnv` is used.
 * `restartServer` sets the mock broker down (every connection dropped, new ones refused), keeps it
 * down for a while, and sets it up again: a real connection loss. It does not kill the process: the
 * mock keeps data in memory only, so a killed mock would come back empty and no source could resume.
 */
import { randomBytes } from 'node:crypto';
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import type { SinkHarness, SourceHarness, StoredRecord } from 'rivulet/connector';
import { kafkaSink } from '../src/kafka-sink.ts';
import { kafkaSource } from '../src/kafka-source.ts';
import { startMockCluster } from './mock-cluster.ts';

/** How long `restartServer` keeps the broker down. */
const DOWN_MS = 1_000;

export function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A place for one fixture: a topic on a fresh mock cluster, or on the KAFKA_BOOTSTRAP broker. */
export interface KafkaPlace {
  readonly bootstrapServers: string[];
  readonly topic: string;
  /** Drops every connection for a while (mock only). */
  readonly restart?: () => Promise<void>;
  close(): Promise<void>;
}

export async function createPlace(partitions: number, prefix: string): Promise<KafkaPlace> {
  const topic = uniqueTopic(prefix);
  const external = process.env.KAFKA_BOOTSTRAP;
  if (external) {
    const bootstrapServers = external.split(',').map((s) => s.trim());
    const admin = new Admin({ clientId: 'rivulet-test', bootstrapBrokers: bootstrapServers });
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    await admin.close();
    return {
      bootstrapServers,
      topic,
      async close() {
        const a = new Admin({ clientId: 'rivulet-test', bootstrapBrokers: bootstrapServers });
        await a.deleteTopics({ topics: [topic] }).catch(() => undefined);
        await a.close();
      },
    };
  }
  const cluster = await startMockCluster({ topics: [{ name: topic, partitions }] });
  return {
    bootstrapServers: cluster.bootstrapServers,
    topic,
    async restart() {
      await cluster.brokerDown(1);
      await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
      await cluster.brokerUp(1);
      await waitForBroker(cluster.bootstrapServers, topic);
    },
    close: () => cluster.close(),
  };
}

/** Polls metadata until the broker answers (deadline 30 s). */
export async function waitForBroker(bootstrapServers: string[], topic: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const admin = new Admin({ clientId: 'rivulet-test', bootstrapBrokers: bootstrapServers, retries: 0 });
    try {
      await admin.metadata({ topics: [topic], forceUpdate: true });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
}

/**
 * Produces with the bare client (murmur2 default partitioner on the key), in chunks, acks -1, gzip
 * compressed: the mock keeps only 5 MiB per partition (hard-coded in librdkafka's mock, older batches
 * are deleted), and the suite's backpressure case writes 24 MiB of padded records to one partition.
 * Compressed, they stay in the log; readers still decode every record (and compressed batches get tested).
 */
export async function produceBare(
  bootstrapServers: string[],
  topic: string,
  records: ReadonlyArray<{ key: string; value: string }>,
): Promise<void> {
  const producer = new Producer({
    clientId: 'rivulet-test',
    bootstrapBrokers: bootstrapServers,
    acks: -1,
    compression: 'gzip',
  });
  try {
    for (let i = 0; i < records.length; i += 512)
      await producer.send({
        messages: records
          .slice(i, i + 512)
          .map((r) => ({ topic, key: Buffer.from(r.key), value: Buffer.from(r.value) })),
      });
  } finally {
    await producer.close();
  }
}

/** Writes `counts[p]` records to partition p, values "<partition>:<i>" for i from `firstIndex`. */
export async function producePerPartition(
  bootstrapServers: string[],
  topic: string,
  counts: number[],
  firstIndex = 0,
) {
  const producer = new Producer({ clientId: 'rivulet-test', bootstrapBrokers: bootstrapServers, acks: -1 });
  try {
    await producer.send({
      messages: counts.flatMap((count, partition) =>
        Array.from({ length: count }, (_, i) => ({
          topic,
          partition,
          value: Buffer.from(`${partition}:${firstIndex + i}`),
        })),
      ),
    });
  } finally {
    await producer.close();
  }
}

export interface ReadBack {
  key: Buffer | null;
  value: Buffer | null;
  headers: Map<string, Buffer>;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  /** The batch's producer id (-1: not an idempotent producer). */
  producerId: bigint;
}

/** Reads every record of the topic with the bare client, partition by partition, in offset order. */
export async function readTopic(bootstrapServers: string[], topic: string): Promise<ReadBack[]> {
  const client = new Consumer({
    clientId: 'rivulet-test',
    groupId: 'rivulet-test-reader',
    bootstrapBrokers: bootstrapServers,
  });
  try {
    const metadata = await client.metadata({ topics: [topic], forceUpdate: true });
    const t = metadata.topics.get(topic)!;
    const out: ReadBack[] = [];
    for (let p = 0; p < t.partitionsCount; p++) {
      const offsets = await client.listOffsets({
        topics: [topic],
        partitions: { [topic]: [p] },
        timestamp: -1n,
      });
      const end = offsets.get(topic)![p]!;
      let next = 0n;
      while (next < end) {
        const response = await client.fetch({
          node: t.partitions[p]!.leader,
          maxWaitTime: 100,
          topics: [
            {
              topicId: t.id,
              partitions: [
                {
                  partition: p,
                  currentLeaderEpoch: -1,
                  fetchOffset: next,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: 4 << 20,
                },
              ],
            },
          ],
        });
        for (const batch of response.responses[0]?.partitions[0]?.records ?? []) {
          for (const r of batch.records) {
            const offset = batch.firstOffset + BigInt(r.offsetDelta);
            if (offset < next) continue;
            const headers = new Map<string, Buffer>();
            for (const [k, v] of r.headers) if (k) headers.set(k.toString(), v ?? Buffer.alloc(0));
            out.push({
              key: r.key,
              value: r.value,
              headers,
              partition: p,
              offset,
              timestamp: batch.firstTimestamp + r.timestampDelta,
              producerId: batch.producerId,
            });
            next = offset + 1n;
          }
        }
      }
    }
    return out;
  } finally {
    await client.close();
  }
}

export const kafkaSourceHarness: SourceHarness = {
  features: { ordered: true, persistent: true, positioned: true, replay: 'exactly-once' },
  partitioned: true,
  restartable: !process.env.KAFKA_BOOTSTRAP,
  timeoutMs: 60_000,
  async create({ splits }) {
    const place = await createPlace(splits, 'src');
    return {
      source: kafkaSource({
        bootstrapServers: place.bootstrapServers,
        topic: place.topic,
        maxFetchWaitMs: 200,
      }),
      produce: (records) => produceBare(place.bootstrapServers, place.topic, records),
      restartServer: place.restart,
      close: () => place.close(),
    };
  },
};

/** Values over this are refused by the sink (INVALID_RECORD) in the harness. */
const SINK_MAX_VALUE_BYTES = 64 * 1024;

export const kafkaSinkHarness: SinkHarness = {
  guarantee: 'at-least-once',
  upsert: false,
  // Records are spread over Kafka partitions by key, not by outbox partition: the suite's per-outbox-
  // partition order is not what Kafka keeps (per key order is; kafka-sink.test.ts checks it).
  ordered: false,
  structured: false,
  maxValueBytes: SINK_MAX_VALUE_BYTES,
  restartable: !process.env.KAFKA_BOOTSTRAP,
  timeoutMs: 60_000,
  async create() {
    const place = await createPlace(3, 'sink');
    return {
      sink: kafkaSink({
        bootstrapServers: place.bootstrapServers,
        topic: place.topic,
        maxValueBytes: SINK_MAX_VALUE_BYTES,
      }),
      async readAll(): Promise<StoredRecord[]> {
        const records = await readTopic(place.bootstrapServers, place.topic);
        return records.map((r) => ({
          key: r.key === null ? null : r.key.toString(),
          value: r.value === null ? null : (JSON.parse(r.value.toString()) as Record<string, unknown>),
        }));
      },
      restartServer: place.restart,
      close: () => place.close(),
    };
  },
};
