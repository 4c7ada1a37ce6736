import { randomBytes } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type {
  ProducedRecord,
  SinkFixture,
  SinkHarness,
  SourceFixture,
  SourceHarness,
  StoredRecord,
} from 'rivulet/connector/conformance';
import { mqttSink, mqttSource } from '../src/index.ts';
import { PrivateMosquitto } from './private-mosquitto.ts';

/** The shared local Mosquitto. */
export const SHARED_MQTT_URL = 'mqtt://127.0.0.1:1883';

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

const SESSION_EXPIRY = 3600;

/** A raw mqtt.js client (MQTT 5), reconnecting every 100 ms. */
export function rawClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(url, { protocolVersion: 5, reconnectPeriod: 100, connectTimeout: 5_000, ...options });
}

/** Removes a persistent session from the broker: connect with a clean start and no expiry, then leave. */
export async function dropSession(url: string, clientId: string): Promise<void> {
  const client = await rawClient(url, {
    clientId,
    clean: true,
    reconnectPeriod: 0,
    properties: { sessionExpiryInterval: 0 },
  });
  await client.endAsync();
}

/** Publishes QoS 1 and resolves once the broker acknowledged every record. */
export async function publishAll(
  client: MqttClient,
  messages: ReadonlyArray<{ topic: string; payload: string | Buffer }>,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let pending = messages.length;
    if (pending === 0) resolve();
    for (const { topic, payload } of messages)
      client.publish(topic, payload, { qos: 1 }, (error) => {
        if (error) reject(error);
        else if (--pending === 0) resolve();
      });
  });
}

/**
 * QoS 1 source with a persistent session. The fixture creates the session (subscribed to
 * `<base>/#`) before anything is produced, as the first run of a pipeline would, so records produced
 * before `open` wait in the broker. Records go to `<base>/<key>` (the source keys by topic).
 */
export const mqttSourceHarness: SourceHarness = {
  features: { ordered: true, persistent: true, positioned: false, replay: 'at-least-once' },
  partitioned: false,
  restartable: true,
  async create({ restartable }): Promise<SourceFixture> {
    const broker = restartable ? await PrivateMosquitto.start() : undefined;
    const url = broker?.url ?? SHARED_MQTT_URL;
    const base = uniqueName('rivulet-test/src');
    const clientId = uniqueName('rivulet-src');
    try {
      const session = await rawClient(url, {
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: SESSION_EXPIRY },
      });
      await session.subscribeAsync(`${base}/#`, { qos: 1 });
      await session.endAsync();
      const producer = await rawClient(url);
      return {
        source: mqttSource({
          url,
          topics: [`${base}/#`],
          clientId,
          sessionExpirySeconds: SESSION_EXPIRY,
          reconnectMs: 100,
        }),
        produce: (records: readonly ProducedRecord[]) =>
          publishAll(
            producer,
            records.map((r) => ({ topic: `${base}/${r.key}`, payload: r.value })),
          ),
        restartServer: broker ? () => broker.restart() : undefined,
        async close() {
          await producer.endAsync(true);
          await dropSession(url, clientId).catch(() => undefined);
          await broker?.stop();
        },
      };
    } catch (error) {
      await broker?.stop();
      throw error;
    }
  },
};

/**
 * The sink publishes to `<base>/<key>`; a collector with a persistent session subscribed to `<base>/#`
 * keeps everything that arrives. `readAll` publishes a marker after the sink's acknowledged records and
 * returns what came before it (the broker forwards one session's queue in order).
 */
export const mqttSinkHarness: SinkHarness = {
  guarantee: 'at-least-once',
  upsert: false,
  ordered: true,
  structured: false,
  maxValueBytes: 1024,
  restartable: true,
  async create({ restartable }): Promise<SinkFixture> {
    const broker = restartable ? await PrivateMosquitto.start() : undefined;
    const url = broker?.url ?? SHARED_MQTT_URL;
    const base = uniqueName('rivulet-test/sink');
    const clientId = uniqueName('rivulet-collector');
    try {
      const collector = await rawClient(url, {
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: SESSION_EXPIRY },
      });
      const stored: StoredRecord[] = [];
      const markers = new Map<string, () => void>();
      collector.on('message', (topic, payload) => {
        const key = topic.slice(base.length + 1);
        if (key.startsWith('__marker__/')) markers.get(key)?.();
        else stored.push({ key, value: payload.length === 0 ? null : JSON.parse(payload.toString('utf8')) });
      });
      await collector.subscribeAsync(`${base}/#`, { qos: 1 });
      const caughtUp = async () => {
        const marker = `__marker__/${uniqueName('m')}`;
        const arrived = new Promise<void>((resolve) => markers.set(marker, resolve));
        await publishAll(collector, [{ topic: `${base}/${marker}`, payload: '' }]);
        await arrived;
        markers.delete(marker);
      };
      return {
        sink: mqttSink({
          url,
          topic: (key) => `${base}/${key ?? 'null'}`,
          maxValueBytes: 1024,
          reconnectMs: 100,
          ackTimeoutMs: 10_000,
        }),
        async readAll() {
          await caughtUp();
          return [...stored];
        },
        restartServer: broker
          ? async () => {
              await caughtUp(); // what was acknowledged before the kill has reached the collector
              await broker.restart();
            }
          : undefined,
        async close() {
          await collector.endAsync(true);
          await dropSession(url, clientId).catch(() => undefined);
          await broker?.stop();
        },
      };
    } catch (error) {
      await broker?.stop();
      throw error;
    }
  },
};
