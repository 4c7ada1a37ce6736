import { connect } from 'mqtt';
import type { SinkRecord } from 'rivulet/connector';
import { mqttSink, mqttSource } from '../src/index.ts';
import { dropSession, publishAll, rawClient, SHARED_MQTT_URL, uniqueName } from '../test/mqtt-harness.ts';
import { PrivateMosquitto } from '../test/private-mosquitto.ts';

const VALUE_BYTES = 1024;
const BATCH = 1000;
const IN_FLIGHT = 1024;

/** Creates a persistent session subscribed to `<base>/#` and fills it with `records` 1 KiB records. */
async function preload(url: string, clientId: string, base: string, records: number): Promise<void> {
  const session = await rawClient(url, {
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 600 },
  });
  await session.subscribeAsync(`${base}/#`, { qos: 1 });
  await session.endAsync();
  const producer = await rawClient(url);
  const payload = Buffer.alloc(VALUE_BYTES, 0x61);
  for (let i = 0; i < records; i += BATCH)
    await publishAll(
      producer,
      Array.from({ length: Math.min(BATCH, records - i) }, (_, j) => ({
        topic: `${base}/k${(i + j) % 16}`,
        payload,
      })),
    );
  await producer.endAsync();
}

/** The source: open, poll(1000) and commit every batch until `records` came. */
async function sourceConnector(url: string, records: number): Promise<number> {
  const base = uniqueName('rivulet-bench/src');
  const clientId = uniqueName('rivulet-bench-src');
  await preload(url, clientId, base, records);
  const started = performance.now();
  const reader = await mqttSource({ url, topics: [`${base}/#`], clientId, maxInFlight: IN_FLIGHT }).open(
    'mqtt',
    undefined,
  );
  let received = 0;
  while (received < records) {
    const batch = await reader.poll(BATCH, 1_000);
    if (batch.records.length === 0) throw new Error(`mqtt source stalled at ${received}/${records}`);
    received += batch.records.length;
    await reader.commit(batch.position);
  }
  const elapsed = performance.now() - started;
  await reader.close();
  await dropSession(url, clientId);
  return (records / elapsed) * 1000;
}

/** Bare mqtt.js: the same session settings, PUBACK per message (mqtt.js default), counting messages. */
async function sourceBare(url: string, records: number): Promise<number> {
  const base = uniqueName('rivulet-bench/src');
  const clientId = uniqueName('rivulet-bench-src');
  await preload(url, clientId, base, records);
  const started = performance.now();
  const client = connect(url, {
    protocolVersion: 5,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 600, receiveMaximum: IN_FLIGHT },
  });
  await new Promise<void>((resolve) => {
    let received = 0;
    client.on('message', () => {
      if (++received === records) resolve();
    });
  });
  const elapsed = performance.now() - started;
  await client.endAsync();
  await dropSession(url, clientId);
  return (records / elapsed) * 1000;
}

function sinkRecords(records: number): SinkRecord[] {
  const value = Buffer.alloc(VALUE_BYTES, 0x62);
  return Array.from({ length: records }, (_, i) => ({
    key: Buffer.from(`k${i % 16}`),
    value,
    timestamp: 1_700_000_000_000 + i,
    headers: undefined,
    partition: 0,
    offset: i,
    id: `bench/sink/0/${i}`,
  }));
}

/** The sink: write 1000, commit (awaits the PUBACKs), repeat. */
async function sinkConnector(url: string, records: number): Promise<number> {
  const base = uniqueName('rivulet-bench/sink');
  const all = sinkRecords(records);
  const writer = await mqttSink({ url, topic: (key) => `${base}/${key}` }).open({
    pipeline: 'bench',
    name: 'sink',
    partitions: 1,
  });
  const started = performance.now();
  for (let i = 0; i < records; i += BATCH) {
    await writer.write(all.slice(i, i + BATCH));
    await writer.commit(new Map([[0, Math.min(records, i + BATCH)]]));
  }
  const elapsed = performance.now() - started;
  await writer.close();
  return (records / elapsed) * 1000;
}

/** Bare mqtt.js: publish 1000 QoS 1, await their PUBACKs, repeat. */
async function sinkBare(url: string, records: number): Promise<number> {
  const base = uniqueName('rivulet-bench/sink');
  const client = await rawClient(url);
  const value = Buffer.alloc(VALUE_BYTES, 0x62);
  const started = performance.now();
  for (let i = 0; i < records; i += BATCH)
    await publishAll(
      client,
      Array.from({ length: Math.min(BATCH, records - i) }, (_, j) => ({
        topic: `${base}/k${(i + j) % 16}`,
        payload: value,
      })),
    );
  const elapsed = performance.now() - started;
  await client.endAsync();
  return (records / elapsed) * 1000;
}

/**
 * Records/s through the MQTT source and sink versus bare mqtt.js in the same run (1 KiB values, QoS 1).
 * The sink runs against the shared Mosquitto. The source drains a session preloaded while nobody was
 * connected; it uses a private Mosquitto (max_queued_messages 0) because the shared one keeps at most
 * 1000 queued records per session (Mosquitto's default) and drops the rest.
 */
export async function connectorThroughput(options: {
  records: number;
}): Promise<Array<{ case: string; connectorPerSec: number; barePerSec: number }>> {
  const broker = await PrivateMosquitto.start({ durable: false });
  try {
    const barePerSecSource = await sourceBare(broker.url, options.records);
    const connectorPerSecSource = await sourceConnector(broker.url, options.records);
    const barePerSecSink = await sinkBare(SHARED_MQTT_URL, options.records);
    const connectorPerSecSink = await sinkConnector(SHARED_MQTT_URL, options.records);
    return [
      { case: 'mqtt source qos1 (in)', connectorPerSec: connectorPerSecSource, barePerSec: barePerSecSource },
      { case: 'mqtt sink qos1 (out)', connectorPerSec: connectorPerSecSink, barePerSec: barePerSecSink },
    ];
  } finally {
    await broker.stop();
  }
}
