import { randomBytes } from 'node:crypto';
import { type Channel, type ChannelModel, connect, type Message } from 'amqplib';
import type { SinkRecord, SourceConnector } from 'rivulet/connector';
import { rabbitQueueSource, rabbitSink, rabbitStreamSource } from '../src/index.ts';

const ROUNDS = 2;

/**
 * Records/s through the connectors versus amqplib used bare in the same run, 1 KiB values, against the
 * shared local RabbitMQ (RIVULET_RABBITMQ_URL overrides), unique queue names, deleted afterwards.
 *
 * - source in: the connector's open/poll(1000) loop, committing about every 1000 records, versus a bare
 *   consumer with the same prefetch (500) acknowledging with one multiple-ack every 250 deliveries;
 *   for a classic queue and for a stream queue (the stream from offset 'first').
 * - sink out: write(1000) + commit versus bare confirm-channel publishing with waitForConfirms per 1000.
 * Each side runs twice, alternating with the other, on a fresh queue each time; the best run counts.
 */
export async function connectorThroughput(options: {
  records: number;
}): Promise<Array<{ case: string; connectorPerSec: number; barePerSec: number }>> {
  const url = process.env.RIVULET_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const n = options.records;
  const value = randomBytes(512).toString('hex'); // 1 KiB of text
  const connection = await connect(url);
  connection.on('error', () => undefined);
  const admin = await connection.createChannel();
  const created: string[] = [];
  const queueOf = async (kind: 'classic' | 'stream'): Promise<string> => {
    const queue = `rivulet-bench-${kind}-${randomBytes(4).toString('hex')}`;
    created.push(queue);
    await admin.assertQueue(queue, {
      durable: true,
      arguments: kind === 'stream' ? { 'x-queue-type': 'stream' } : {},
    });
    return queue;
  };
  try {
    const results = [];
    // The machine is shared: each side runs ROUNDS times, alternating, and keeps its best.
    for (const kind of ['classic', 'stream'] as const) {
      let barePerSec = 0;
      let connectorPerSec = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const bareQueue = await queueOf(kind);
        await fill(connection, bareQueue, n, value);
        barePerSec = Math.max(barePerSec, await bareConsume(url, bareQueue, n, kind === 'stream'));
        await admin.deleteQueue(bareQueue);
        const connectorQueue = await queueOf(kind);
        await fill(connection, connectorQueue, n, value);
        const source =
          kind === 'stream'
            ? rabbitStreamSource({ url, queue: connectorQueue })
            : rabbitQueueSource({ url, queue: connectorQueue });
        connectorPerSec = Math.max(connectorPerSec, await connectorConsume(source, connectorQueue, n));
        await admin.deleteQueue(connectorQueue);
      }
      results.push({ case: `source-in-${kind}-1KiB`, connectorPerSec, barePerSec });
    }
    let barePerSec = 0;
    let connectorPerSec = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const bareSinkQueue = await queueOf('classic');
      barePerSec = Math.max(barePerSec, await barePublish(connection, bareSinkQueue, n, value));
      await admin.deleteQueue(bareSinkQueue);
      const connectorSinkQueue = await queueOf('classic');
      connectorPerSec = Math.max(connectorPerSec, await connectorPublish(url, connectorSinkQueue, n, value));
      await admin.deleteQueue(connectorSinkQueue);
    }
    results.push({ case: 'sink-out-1KiB', connectorPerSec, barePerSec });
    return results;
  } finally {
    for (const queue of created) await admin.deleteQueue(queue).catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
}

async function fill(connection: ChannelModel, queue: string, n: number, value: string): Promise<void> {
  const channel = await connection.createConfirmChannel();
  const body = Buffer.from(value);
  for (let i = 0; i < n; i++) {
    if (!channel.sendToQueue(queue, body, { persistent: true, headers: { 'rivulet-key': `k${i % 100}` } }))
      await new Promise((resolve) => channel.once('drain', resolve));
    if (i % 1000 === 999) await channel.waitForConfirms();
  }
  await channel.waitForConfirms();
  await channel.close();
}

async function bareConsume(url: string, queue: string, n: number, stream: boolean): Promise<number> {
  const connection = await connect(url);
  const channel: Channel = await connection.createChannel();
  const started = performance.now();
  await channel.prefetch(500, false);
  let received = 0;
  await new Promise<void>((resolve) => {
    void channel.consume(
      queue,
      (message) => {
        if (message === null) return;
        received++;
        if (received % 250 === 0 || received === n) channel.ack(message as Message, true);
        if (received === n) resolve();
      },
      { noAck: false, ...(stream ? { arguments: { 'x-stream-offset': 'first' } } : {}) },
    );
  });
  const perSec = n / ((performance.now() - started) / 1000);
  await connection.close();
  return Math.round(perSec);
}

async function connectorConsume(source: SourceConnector, queue: string, n: number): Promise<number> {
  const started = performance.now();
  const reader = await source.open(queue, undefined);
  let received = 0;
  let sinceCommit = 0;
  let position = '';
  while (received < n) {
    const batch = await reader.poll(1000, 100);
    received += batch.records.length;
    sinceCommit += batch.records.length;
    position = batch.position;
    if (sinceCommit >= 1000) {
      await reader.commit(position);
      sinceCommit = 0;
    }
  }
  await reader.commit(position);
  const perSec = n / ((performance.now() - started) / 1000);
  await reader.close();
  return Math.round(perSec);
}

async function barePublish(
  connection: ChannelModel,
  queue: string,
  n: number,
  value: string,
): Promise<number> {
  const channel = await connection.createConfirmChannel();
  const body = Buffer.from(value);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const ok = channel.publish('', queue, body, {
      persistent: true,
      messageId: `bench/sink/0/${i}`,
      headers: { 'rivulet-key': `k${i % 100}` },
    });
    if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
    if (i % 1000 === 999) await channel.waitForConfirms();
  }
  await channel.waitForConfirms();
  const perSec = n / ((performance.now() - started) / 1000);
  await channel.close();
  return Math.round(perSec);
}

async function connectorPublish(url: string, queue: string, n: number, value: string): Promise<number> {
  const records: SinkRecord[] = Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`k${i % 100}`),
    value: Buffer.from(value),
    timestamp: Date.now(),
    headers: undefined,
    partition: 0,
    offset: i,
    id: `bench/sink/0/${i}`,
  }));
  const writer = await rabbitSink({ url, queue }).open({ pipeline: 'bench', name: 'sink', partitions: 1 });
  const started = performance.now();
  for (let i = 0; i < n; i += 1000) {
    await writer.write(records.slice(i, i + 1000));
    await writer.commit(new Map([[0, Math.min(i + 1000, n)]]));
  }
  const perSec = n / ((performance.now() - started) / 1000);
  await writer.close();
  return Math.round(perSec);
}
