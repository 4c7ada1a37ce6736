/**
 * Records/s through the Kafka connector's contract versus the same client (@platformatic/kafka) used
 * bare, 1 KiB values, on a private librdkafka mock cluster (test/mock-cluster.ts: there is no shared
 * Kafka broker on these machines), fresh topics, cleaned up by killing the mock afterwards.
 * - source: connector open/poll(1000) loop vs a bare Consumer.fetch loop (same maxBytes, same offsets)
 * - sink: connector write(1000)+commit vs bare Producer.send of 1000 messages (idempotent, acks -1)
 */
import { Consumer, Producer } from '@platformatic/kafka';
import type { SinkRecord } from 'rivulet/connector';
import { kafkaSink } from '../src/kafka-sink.ts';
import { kafkaSource } from '../src/kafka-source.ts';
import { uniqueTopic } from '../test/kafka-harness.ts';
import { type MockCluster, startMockCluster } from '../test/mock-cluster.ts';

const BATCH = 1000;
const MAX_BYTES = 4 * 1024 * 1024;
const ROUND = 4000;

export async function connectorThroughput(options: {
  records: number;
}): Promise<Array<{ case: string; connectorPerSec: number; barePerSec: number }>> {
  // The mock keeps at most 5 MiB per partition (older batches are deleted), so the run is split
  // into rounds of ROUND records, each on fresh topics; one warm-up round is not counted.
  const totals = { sink: 0, bareSink: 0, source: 0, bareSource: 0 };
  const cluster = await startMockCluster();
  try {
    await round(cluster, Math.min(1000, options.records));
    let remaining = options.records;
    while (remaining > 0) {
      const n = Math.min(ROUND, remaining);
      const t = await round(cluster, n);
      totals.sink += t.sink;
      totals.bareSink += t.bareSink;
      totals.source += t.source;
      totals.bareSource += t.bareSource;
      remaining -= n;
    }
  } finally {
    await cluster.close();
  }
  const n = options.records;
  return [
    {
      case: 'source-in-1KiB',
      connectorPerSec: Math.round(n / totals.source),
      barePerSec: Math.round(n / totals.bareSource),
    },
    {
      case: 'sink-out-1KiB',
      connectorPerSec: Math.round(n / totals.sink),
      barePerSec: Math.round(n / totals.bareSink),
    },
  ];
}

/** One round of `n` records on fresh topics; seconds spent by each side. */
async function round(cluster: MockCluster, n: number) {
  const value = Buffer.alloc(1024, 0x61);
  {
    const servers = cluster.bootstrapServers;
    // Sink: connector vs bare producer, each into its own topic.
    const sinkTopic = uniqueTopic('bench-sink');
    const bareSinkTopic = uniqueTopic('bench-bare-sink');
    await cluster.createTopic(sinkTopic, 1);
    await cluster.createTopic(bareSinkTopic, 1);
    const records: SinkRecord[] = Array.from({ length: n }, (_, i) => ({
      key: Buffer.from(`k${i % 100}`),
      value,
      timestamp: Date.now(),
      headers: undefined,
      partition: 0,
      offset: i,
      id: `bench/out/0/${i}`,
    }));
    const writer = await kafkaSink({ bootstrapServers: servers, topic: sinkTopic, batchRecords: BATCH }).open(
      {
        pipeline: 'bench',
        name: 'out',
        partitions: 1,
      },
    );
    let started = performance.now();
    for (let i = 0; i < n; i += BATCH) {
      await writer.write(records.slice(i, i + BATCH));
      await writer.commit(new Map([[0, Math.min(n, i + BATCH)]]));
    }
    const sinkSeconds = (performance.now() - started) / 1000;
    await writer.close();

    const producer = new Producer({
      clientId: 'bench',
      bootstrapBrokers: servers,
      idempotent: true,
      acks: -1,
    });
    started = performance.now();
    for (let i = 0; i < n; i += BATCH) {
      const messages = [];
      for (let j = i; j < Math.min(n, i + BATCH); j++)
        messages.push({ topic: bareSinkTopic, key: Buffer.from(`k${j % 100}`), value, partition: 0 });
      await producer.send({ messages });
    }
    const bareSinkSeconds = (performance.now() - started) / 1000;
    await producer.close();

    // Source: both read the topic the bare producer wrote (n records, batches of 1000).
    const source = kafkaSource({ bootstrapServers: servers, topic: bareSinkTopic, maxBytes: MAX_BYTES });
    const reader = await source.open('0', undefined);
    started = performance.now();
    let read = 0;
    while (read < n) read += (await reader.poll(BATCH, 1000)).records.length;
    const sourceSeconds = (performance.now() - started) / 1000;
    await reader.close();

    const consumer = new Consumer({ clientId: 'bench', groupId: 'bench', bootstrapBrokers: servers });
    const metadata = await consumer.metadata({ topics: [bareSinkTopic] });
    const topic = metadata.topics.get(bareSinkTopic)!;
    started = performance.now();
    let next = 0n;
    let bareRead = 0;
    while (bareRead < n) {
      const response = await consumer.fetch({
        node: topic.partitions[0]!.leader,
        maxWaitTime: 1000,
        maxBytes: MAX_BYTES,
        topics: [
          {
            topicId: topic.id,
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: next,
                lastFetchedEpoch: -1,
                partitionMaxBytes: MAX_BYTES,
              },
            ],
          },
        ],
      });
      for (const batch of response.responses[0]!.partitions[0]!.records ?? [])
        for (const r of batch.records) {
          const offset = batch.firstOffset + BigInt(r.offsetDelta);
          if (offset < next) continue;
          bareRead++;
          next = offset + 1n;
        }
    }
    const bareSourceSeconds = (performance.now() - started) / 1000;
    await consumer.close();

    return {
      sink: sinkSeconds,
      bareSink: bareSinkSeconds,
      source: sourceSeconds,
      bareSource: bareSourceSeconds,
    };
  }
}
