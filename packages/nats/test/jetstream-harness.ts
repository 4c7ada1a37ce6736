import { randomBytes } from 'node:crypto';
import { type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { partitionForKey } from 'rivulet/connector';
import type {
  ProducedRecord,
  SinkFixture,
  SinkHarness,
  SourceFixture,
  SourceHarness,
  StoredRecord,
} from 'rivulet/connector/conformance';
import { jetStreamSink } from '../src/jetstream-sink.ts';
import { jetStreamSource } from '../src/jetstream-source.ts';
import { PrivateNatsServer, SHARED_SERVER } from './nats-server-process.ts';

/** The server's default max_payload (1 MiB): a larger message is refused. */
export const MAX_PAYLOAD = 1024 * 1024;

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A client of the test's own (not the connector's), reconnecting forever across server restarts. */
export async function adminConnection(url: string): Promise<NatsConnection> {
  return connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
}

/** Where a fixture runs: the shared server, or a private one it starts and stops. */
export async function fixtureServer(
  restartable: boolean,
): Promise<{ url: string; restart?: () => Promise<void>; stop: () => Promise<void> }> {
  if (!restartable) return { url: SHARED_SERVER, stop: async () => undefined };
  const server = await PrivateNatsServer.start();
  return { url: server.url, restart: () => server.restart(), stop: () => server.stop() };
}

/**
 * Publishes records in order, many in flight, each with its key in `Rivulet-Key`; resolves once all
 * are stored. A publish lost around a server restart is retried under the same `Nats-Msg-Id`, so the
 * stream keeps one copy.
 */
export async function publishRecords(
  nc: NatsConnection,
  subjectFor: (key: Uint8Array) => string,
  records: readonly ProducedRecord[],
): Promise<void> {
  const js = jetstream(nc, { timeout: 2_000 });
  const batch = randomBytes(6).toString('hex');
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < records.length; i += 1000) {
    const chunk = records.slice(i, i + 1000);
    for (;;) {
      const results = await Promise.allSettled(
        chunk.map((r, j) => {
          const h = headers();
          h.set('Rivulet-Key', r.key);
          return js.publish(subjectFor(Buffer.from(r.key)), r.value, {
            headers: h,
            msgID: `${batch}-${i + j}`,
          });
        }),
      );
      const failed = results.find((r) => r.status === 'rejected');
      if (failed === undefined) break;
      if (Date.now() > deadline) throw (failed as PromiseRejectedResult).reason;
    }
  }
}

/** Every message of a stream in stream order, read with an ordered consumer. */
export async function readStream(nc: NatsConnection, stream: string): Promise<JsMsg[]> {
  const jsm = await jetstreamManager(nc, { timeout: 20_000 });
  const total = (await jsm.streams.info(stream)).state.messages;
  const out: JsMsg[] = [];
  if (total === 0) return out;
  const consumer = await jetstream(nc, { timeout: 20_000 }).consumers.get(stream);
  const deadline = Date.now() + 30_000;
  while (out.length < total && Date.now() < deadline) {
    const messages = await consumer.fetch({
      max_messages: Math.min(1000, total - out.length),
      expires: 2_000,
    });
    for await (const m of messages) out.push(m);
  }
  await consumer.delete().catch(() => undefined);
  if (out.length !== total) throw new Error(`read ${out.length} of ${total} messages of ${stream}`);
  return out;
}

/**
 * JetStream source fixtures: a stream `<name>` holding `<name>.p.<partition>`, written through the
 * client library with the same partitioning as the sink (murmur2 of the key).
 */
export const jetStreamSourceHarness: SourceHarness = {
  features: { ordered: true, persistent: true, positioned: true, replay: 'exactly-once' },
  partitioned: true,
  restartable: true,
  async create({ splits, restartable }): Promise<SourceFixture> {
    const server = await fixtureServer(restartable);
    const nc = await adminConnection(server.url);
    const stream = uniqueName('rivulet_src');
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], num_replicas: 1 });
    const source = jetStreamSource({
      servers: server.url,
      stream,
      subject: `${stream}.p`,
      partitions: splits,
    });
    return {
      source,
      produce: (records) =>
        publishRecords(nc, (key) => `${stream}.p.${partitionForKey(key, splits)}`, records),
      ...(server.restart === undefined ? {} : { restartServer: server.restart }),
      async close() {
        await jsm.streams.delete(stream).catch(() => undefined);
        await nc.close();
        await server.stop();
      },
    };
  },
};

/** JetStream sink fixtures: a stream `<name>` holding `<name>.>`, the sink publishing to `<name>.out`. */
export const jetStreamSinkHarness: SinkHarness = {
  guarantee: 'idempotent',
  upsert: false,
  ordered: true,
  structured: false,
  maxValueBytes: MAX_PAYLOAD,
  restartable: true,
  async create({ restartable }): Promise<SinkFixture> {
    const server = await fixtureServer(restartable);
    const nc = await adminConnection(server.url);
    const stream = uniqueName('rivulet_sink');
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], num_replicas: 1 });
    const sink = jetStreamSink({ servers: server.url, subject: `${stream}.out` });
    return {
      sink,
      async readAll(): Promise<StoredRecord[]> {
        return (await readStream(nc, stream)).map((m) => ({
          key: m.headers?.get('Rivulet-Key') ?? null,
          value:
            m.data.length === 0
              ? null
              : (JSON.parse(Buffer.from(m.data).toString('utf8')) as Record<string, unknown>),
        }));
      },
      ...(server.restart === undefined ? {} : { restartServer: server.restart }),
      async close() {
        await jsm.streams.delete(stream).catch(() => undefined);
        await nc.close();
        await server.stop();
      },
    };
  },
};
