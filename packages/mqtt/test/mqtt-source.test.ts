import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isEngineError, type SourceReader } from 'rivulet/connector';
import { sourceConformance } from 'rivulet/connector/conformance';
import { freePort } from 'rivulet/testing';
import { mqttSource } from '../src/index.ts';
import {
  dropSession,
  mqttSourceHarness,
  publishAll,
  rawClient,
  SHARED_MQTT_URL,
  uniqueName,
} from './mqtt-harness.ts';

sourceConformance('mqtt qos 1 persistent session', mqttSourceHarness);

/** Polls until `count` records came or `ms` passed. */
async function pollRecords(reader: SourceReader, count: number, ms = 10_000) {
  const records = [];
  let position = '';
  const deadline = Date.now() + ms;
  while (records.length < count && Date.now() < deadline) {
    const batch = await reader.poll(count - records.length, 100);
    records.push(...batch.records);
    position = batch.position;
  }
  return { records, position };
}

function text(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes == null ? undefined : Buffer.from(bytes).toString('utf8');
}

describe('mqttSource', () => {
  test('options: clientId is required for a persistent session; bad options name the option', () => {
    const rejects = (options: unknown, option: string) =>
      assert.throws(
        () => mqttSource(options as Parameters<typeof mqttSource>[0]),
        (error: unknown) =>
          isEngineError(error, 'INVALID_ARGUMENT') &&
          error.details.option === option &&
          error.message.includes(option),
      );
    rejects({ url: SHARED_MQTT_URL, topics: ['a/#'] }, 'clientId');
    rejects({ url: SHARED_MQTT_URL, topics: ['a/#'], qos: 1, cleanSession: false }, 'clientId');
    rejects({ url: 'http://127.0.0.1', topics: ['a'], clientId: 'c' }, 'url');
    rejects({ url: SHARED_MQTT_URL, topics: [], clientId: 'c' }, 'topics');
    rejects({ url: SHARED_MQTT_URL, topics: ['a'], clientId: 'c', qos: 2 }, 'qos');
    rejects({ url: SHARED_MQTT_URL, topics: ['a'], clientId: 'c', maxInFlight: 0 }, 'maxInFlight');
    // Without a persistent session a client id is optional.
    assert.equal(mqttSource({ url: SHARED_MQTT_URL, topics: ['a'], qos: 0 }).features.replay, 'at-most-once');
    assert.equal(
      mqttSource({ url: SHARED_MQTT_URL, topics: ['a'], cleanSession: true }).features.replay,
      'at-most-once',
    );
  });

  test('QoS 0 declares at-most-once, not persistent, and reads a round trip', async () => {
    const base = uniqueName('rivulet-test/q0');
    const source = mqttSource({ url: SHARED_MQTT_URL, topics: [`${base}/#`], qos: 0 });
    assert.deepEqual(source.features, {
      ordered: true,
      persistent: false,
      positioned: false,
      replay: 'at-most-once',
    });
    const reader = await source.open('mqtt', undefined);
    const producer = await rawClient(SHARED_MQTT_URL);
    try {
      await publishAll(
        producer,
        Array.from({ length: 100 }, (_, seq) => ({ topic: `${base}/t${seq % 3}`, payload: String(seq) })),
      );
      const { records } = await pollRecords(reader, 100);
      assert.deepEqual(
        records.map((r) => Number(text(r.value))),
        Array.from({ length: 100 }, (_, i) => i),
      );
    } finally {
      await reader.close();
      await producer.endAsync();
    }
  });

  test('records: key and rivulet.source.mqtt-topic = the topic; user properties kept; ts sets the timestamp', async () => {
    const base = uniqueName('rivulet-test/hdr');
    const clientId = uniqueName('rivulet-src');
    const source = mqttSource({ url: SHARED_MQTT_URL, topics: [`${base}/#`], clientId });
    const reader = await source.open('mqtt', undefined);
    const producer = await rawClient(SHARED_MQTT_URL);
    try {
      const before = Date.now();
      await producer.publishAsync(`${base}/device-7`, 'with ts', {
        qos: 1,
        properties: { userProperties: { ts: '1700000000123', site: 'north' } },
      });
      await producer.publishAsync(`${base}/device-8`, Buffer.from([0, 1, 2, 255]), { qos: 1 });
      const { records } = await pollRecords(reader, 2);
      assert.equal(records.length, 2);
      const [a, b] = records as [(typeof records)[0], (typeof records)[0]];
      assert.equal(text(a.key), `${base}/device-7`);
      assert.equal(text(a.headers?.get('rivulet.source.mqtt-topic')), `${base}/device-7`);
      assert.equal(text(a.headers?.get('site')), 'north');
      assert.equal(a.timestamp, 1_700_000_000_123);
      assert.equal(text(a.value), 'with ts');
      assert.equal(text(b.key), `${base}/device-8`);
      assert.deepEqual([...b.value!], [0, 1, 2, 255]);
      assert.ok(b.timestamp >= before && b.timestamp <= Date.now(), 'without ts: the arrival time');
    } finally {
      await reader.close();
      await producer.endAsync();
      await dropSession(SHARED_MQTT_URL, clientId);
    }
  });

  test('positions: a malformed position is SOURCE_POSITION_INVALID; commit past the last position too', async () => {
    const base = uniqueName('rivulet-test/pos');
    const clientId = uniqueName('rivulet-src');
    const source = mqttSource({ url: SHARED_MQTT_URL, topics: [`${base}/#`], clientId });
    for (const position of ['abc', '-1', '1.5', '{"seq":1}'])
      await assert.rejects(source.open('mqtt', position), (error: unknown) =>
        isEngineError(error, 'SOURCE_POSITION_INVALID'),
      );
    const reader = await source.open('mqtt', '41');
    try {
      const empty = await reader.poll(10, 10);
      assert.equal(empty.position, '41', 'the counter continues from the opened position');
      await assert.rejects(reader.commit('42'), (error: unknown) =>
        isEngineError(error, 'SOURCE_POSITION_INVALID'),
      );
      await reader.commit('41');
    } finally {
      await reader.close();
      await dropSession(SHARED_MQTT_URL, clientId);
    }
  });

  test('an unreachable broker: open rejects with a retryable CONNECTOR_UNAVAILABLE', async () => {
    const port = await freePort();
    const source = mqttSource({
      url: `mqtt://127.0.0.1:${port}`,
      topics: ['a'],
      qos: 0,
      connectTimeoutMs: 2_000,
    });
    await assert.rejects(
      source.open('mqtt', undefined),
      (error: unknown) => isEngineError(error, 'CONNECTOR_UNAVAILABLE') && error.retryable,
    );
  });
});
