import { randomBytes } from 'node:crypto';
import { connect, type Options } from 'amqplib';
import type {
  ProducedRecord,
  SinkFixture,
  SinkHarness,
  SourceFixture,
  SourceHarness,
  StoredRecord,
} from 'rivulet/connector/conformance';
import { rabbitQueueSource, rabbitQueueSourceFeatures } from '../src/rabbit-queue-source.ts';
import { rabbitSink } from '../src/rabbit-sink.ts';
import { rabbitStreamSource, rabbitStreamSourceFeatures } from '../src/rabbit-stream-source.ts';
import { type PrivateRabbit, startPrivateRabbit } from './private-rabbitmq.ts';

/** The shared local RabbitMQ (override with RIVULET_RABBITMQ_URL). */
export const sharedRabbitUrl = process.env.RIVULET_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function uniqueName(prefix: string): string {
  return `rivulet-test-${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Runs `body` on a channel of a fresh connection, then closes both. */
export async function withChannel<T>(
  url: string,
  body: (channel: import('amqplib').Channel) => Promise<T>,
): Promise<T> {
  const connection = await connect(url);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await body(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Publishes `records` to `queue` through the server's own client (persistent, confirmed, key header). */
export async function publishRecords(
  url: string,
  queue: string,
  records: readonly ProducedRecord[],
  extra: Options.Publish = {},
): Promise<void> {
  const connection = await connect(url);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createConfirmChannel();
    for (const record of records) {
      const ok = channel.sendToQueue(queue, Buffer.from(record.value), {
        persistent: true,
        ...extra,
        headers: { 'rivulet-key': record.key, ...extra.headers },
      });
      if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Waits until `queue` answers a passive declare (a stream is `down` for a while after a node boots). */
export async function waitForQueue(url: string, queue: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await withChannel(url, (channel) => channel.checkQueue(queue));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Makes a just-declared queue survive the SIGKILL the test will deal: a stream's coordinator registration
 * is written only on a clean stop (see PrivateRabbit.restartGracefully), and once, in a full run under
 * load, a durable classic queue was missing after the SIGKILL restart. One clean restart after declaring
 * settles both.
 */
async function settle(server: PrivateRabbit, url: string, queue: string): Promise<void> {
  await server.restartGracefully();
  await waitForQueue(url, queue);
}

/** A server for one fixture: the shared one, or a private one the fixture kills and restarts. */
async function serverFor(restartable: boolean): Promise<{ url: string; server: PrivateRabbit | undefined }> {
  if (!restartable) return { url: sharedRabbitUrl, server: undefined };
  const server = await startPrivateRabbit();
  return { url: server.url, server };
}

function sourceHarness(
  features: SourceHarness['features'],
  queueArguments: Record<string, unknown>,
  makeSource: (url: string, queue: string) => SourceFixture['source'],
): SourceHarness {
  return {
    features,
    partitioned: false,
    restartable: true,
    timeoutMs: 90_000,
    async create({ restartable }) {
      const { url, server } = await serverFor(restartable);
      const queue = uniqueName('src');
      try {
        await withChannel(url, (channel) =>
          channel.assertQueue(queue, { durable: true, arguments: queueArguments }),
        );
        if (server !== undefined) await settle(server, url, queue);
      } catch (error) {
        await server?.stop();
        throw error;
      }
      return {
        source: makeSource(url, queue),
        produce: (records) => publishRecords(url, queue, records),
        ...(server === undefined
          ? {}
          : {
              // Ready for this fixture: the queue is up again (a stream is `down` for a moment after boot).
              restartServer: async () => {
                await server.restart();
                await waitForQueue(url, queue);
              },
            }),
        async close() {
          try {
            if (server === undefined) await withChannel(url, (channel) => channel.deleteQueue(queue));
          } finally {
            await server?.stop();
          }
        },
      };
    },
  };
}

/** rabbitQueueSource on a durable classic queue (shared server; a private one for restart cases). */
export const rabbitQueueSourceHarness: SourceHarness = sourceHarness(
  rabbitQueueSourceFeatures,
  {},
  (url, queue) => rabbitQueueSource({ url, queue }),
);

/** rabbitStreamSource on a stream queue (x-queue-type=stream). */
export const rabbitStreamSourceHarness: SourceHarness = sourceHarness(
  rabbitStreamSourceFeatures,
  { 'x-queue-type': 'stream' },
  (url, queue) => rabbitStreamSource({ url, queue }),
);

/** The size the sink harness refuses above (kept small so the bad-record case stays quick). */
export const sinkHarnessMaxValueBytes = 1024 * 1024;

/** Reads every message in `queue` without consuming it (got, then requeued in order by nack). */
export async function readQueue(url: string, queue: string): Promise<import('amqplib').GetMessage[]> {
  return withChannel(url, async (channel) => {
    const messages: import('amqplib').GetMessage[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: false });
      if (message === false) break;
      messages.push(message);
    }
    if (messages.length > 0) channel.nackAll(true);
    return messages;
  });
}

/** rabbitSink publishing to a durable queue through the default exchange. */
export const rabbitSinkHarness: SinkHarness = {
  guarantee: 'at-least-once',
  upsert: false,
  ordered: true,
  structured: false,
  maxValueBytes: sinkHarnessMaxValueBytes,
  restartable: true,
  timeoutMs: 90_000,
  async create({ restartable }): Promise<SinkFixture> {
    const { url, server } = await serverFor(restartable);
    const queue = uniqueName('sink');
    try {
      await withChannel(url, (channel) => channel.assertQueue(queue, { durable: true }));
      if (server !== undefined) await settle(server, url, queue);
    } catch (error) {
      await server?.stop();
      throw error;
    }
    return {
      sink: rabbitSink({ url, queue, maxValueBytes: sinkHarnessMaxValueBytes }),
      async readAll(): Promise<StoredRecord[]> {
        const messages = await readQueue(url, queue);
        return messages.map((message) => {
          const key = message.properties.headers?.['rivulet-key'];
          return {
            key: typeof key === 'string' ? key : null,
            value: JSON.parse(message.content.toString('utf8')) as Record<string, unknown>,
          };
        });
      },
      ...(server === undefined
        ? {}
        : {
            restartServer: async () => {
              await server.restart();
              await waitForQueue(url, queue);
            },
          }),
      async close() {
        try {
          if (server === undefined) await withChannel(url, (channel) => channel.deleteQueue(queue));
        } finally {
          await server?.stop();
        }
      },
    };
  },
};
