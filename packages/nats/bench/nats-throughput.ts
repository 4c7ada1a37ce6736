import { randomBytes } from 'node:crypto';
import { type Consumer, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { SinkRecord } from 'rivulet/connector';
import { jetStreamSink, jetStreamSource } from '../src/index.ts';

const SERVER = 'nats://127.0.0.1:4222';
const VALUE_BYTES = 1024;
const BATCH = 1000;

function value(seq: number): Buffer {
  const head = `{"seq":${seq},"pad":"`;
  return Buffer.from(`${head}${'x'.repeat(VALUE_BYTES - head.length - 2)}"}`);
}

function sinkRecords(records: number): SinkRecord[] {
  return Array.from({ length: records }, (_, i) => ({
    key: Buffer.from(`k${i % 64}`),
    value: value(i),
    timestamp: 0,
    headers: undefined,
    partition: 0,
    offset: i,
    id: `bench/sink/0/${i}`,
  }));
}

async function withStream<T>(nc: NatsConnection, body: (stream: string) => Promise<T>): Promise<T> {
  const jsm = await jetstreamManager(nc);
  const stream = `rivulet_bench_${randomBytes(4).toString('hex')}`;
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], num_replicas: 1 });
  try {
    return await body(stream);
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
  }
}

/** Fills a stream (untimed) with keyed 1 KiB records, 1000 publishes in flight. */
async function fill(nc: NatsConnection, stream: string, records: number): Promise<void> {
  const js = jetstream(nc, { timeout: 30_000 });
  for (let i = 0; i < records; i += BATCH) {
    const acks = [];
    for (let j = i; j < Math.min(records, i + BATCH); j++) {
      const h = headers();
      h.set('Rivulet-Key', `k${j % 64}`);
      acks.push(js.publish(`${stream}.in`, value(j), { headers: h }));
    }
    await Promise.all(acks);
  }
}

/** Connector: open the split and poll(1000) until every record came. */
async function sourceConnector(stream: string, records: number): Promise<number> {
  const source = jetStreamSource({ servers: SERVER, stream, subject: `${stream}.in` });
  const started = performance.now();
  const reader = await source.open(`${stream}.in`, undefined);
  let n = 0;
  while (n < records) n += (await reader.poll(1000, 1000)).records.length;
  const seconds = (performance.now() - started) / 1000;
  await reader.close();
  return records / seconds;
}

/** Bare: the client's ordered pull consumer, consume() with a callback, 1000 messages per pull. */
async function sourceBare(nc: NatsConnection, stream: string, records: number): Promise<number> {
  const js = jetstream(nc);
  const started = performance.now();
  const consumer: Consumer = await js.consumers.get(stream, { filter_subjects: `${stream}.in` });
  let n = 0;
  let bytes = 0;
  let done = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const messages = await consumer.consume({
    max_messages: BATCH,
    callback: (m) => {
      bytes += m.data.length;
      if (++n === records) done();
    },
  });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  messages.stop();
  await consumer.delete().catch(() => undefined);
  if (bytes < records * VALUE_BYTES) throw new Error('the bare consumer read less than was written');
  return records / seconds;
}

/** Connector: write 1000 and commit, repeat. */
async function sinkConnector(stream: string, all: SinkRecord[]): Promise<number> {
  const writer = await jetStreamSink({ servers: SERVER, subject: `${stream}.out` }).open({
    pipeline: 'bench',
    name: 'sink',
    partitions: 1,
  });
  const started = performance.now();
  for (let i = 0; i < all.length; i += BATCH) {
    await writer.write(all.slice(i, i + BATCH));
    await writer.commit(new Map([[0, Math.min(all.length, i + BATCH)]]));
  }
  const seconds = (performance.now() - started) / 1000;
  await writer.close();
  return all.length / seconds;
}

/** Bare: js.publish with the same headers (key, message id), 1000 in flight, awaited together. */
async function sinkBare(nc: NatsConnection, stream: string, all: SinkRecord[]): Promise<number> {
  const js = jetstream(nc, { timeout: 30_000 });
  const started = performance.now();
  for (let i = 0; i < all.length; i += BATCH) {
    const acks = [];
    for (const r of all.slice(i, i + BATCH)) {
      const h = headers();
      h.set('Rivulet-Key', Buffer.from(r.key!).toString());
      acks.push(js.publish(`${stream}.out`, r.value!, { headers: h, msgID: r.id }));
    }
    await Promise.all(acks);
  }
  return all.length / ((performance.now() - started) / 1000);
}

/**
 * Records/s through the JetStream source and sink versus the same client library used bare, 1 KiB
 * values, against the shared local server; each case on a fresh stream, deleted afterwards.
 */
export async function connectorThroughput(options: {
  records: number;
}): Promise<Array<{ case: string; connectorPerSec: number; barePerSec: number }>> {
  const nc = await connect({ servers: SERVER });
  try {
    const { records } = options;
    const [sourceConn, sourceB] = await withStream(nc, async (stream) => {
      await fill(nc, stream, records);
      const bare = await sourceBare(nc, stream, records);
      const conn = await sourceConnector(stream, records);
      return [conn, bare];
    });
    const all = sinkRecords(records);
    const sinkB = await withStream(nc, (stream) => sinkBare(nc, stream, all));
    const sinkConn = await withStream(nc, (stream) => sinkConnector(stream, all));
    return [
      { case: 'jetstream-source-1KiB', connectorPerSec: sourceConn, barePerSec: sourceB },
      { case: 'jetstream-sink-1KiB', connectorPerSec: sinkConn, barePerSec: sinkB },
    ];
  } finally {
    await nc.close();
  }
}
