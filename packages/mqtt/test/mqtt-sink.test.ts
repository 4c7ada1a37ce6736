import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isEngineError, type SinkRecord } from 'rivulet/connector';
import { sinkConformance } from 'rivulet/connector/conformance';
import { freePort } from 'rivulet/testing';
import { mqttSink } from '../src/index.ts';
import { mqttSinkHarness, rawClient, SHARED_MQTT_URL, uniqueName } from './mqtt-harness.ts';

sinkConformance('mqtt qos 1', mqttSinkHarness);

const context = { pipeline: 'p', name: 's', partitions: 1 };

describe('mqttSink', () => {
  test('options: bad ones are INVALID_ARGUMENT naming the option', () => {
    const rejects = (options: unknown, option: string) =>
      assert.throws(
        () => mqttSink(options as Parameters<typeof mqttSink>[0]),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
      );
    rejects({ url: 'redis://x', topic: 't' }, 'url');
    rejects({ url: SHARED_MQTT_URL, topic: 'a/#' }, 'topic');
    rejects({ url: SHARED_MQTT_URL }, 'topic');
    rejects({ url: SHARED_MQTT_URL, topic: 't', qos: 0 }, 'qos');
    rejects({ url: SHARED_MQTT_URL, topic: 't', maxValueBytes: -1 }, 'maxValueBytes');
  });

  test('publishes to the topic of the key, with headers and rivulet.id as user properties', async () => {
    const base = uniqueName('rivulet-test/sinkprops');
    const reader = await rawClient(SHARED_MQTT_URL);
    const got: Array<{ topic: string; payload: string; props: Record<string, unknown> | undefined }> = [];
    reader.on('message', (topic, payload, packet) =>
      got.push({ topic, payload: payload.toString(), props: { ...packet.properties?.userProperties } }),
    );
    await reader.subscribeAsync(`${base}/#`, { qos: 1 });
    const writer = await mqttSink({ url: SHARED_MQTT_URL, topic: (key) => `${base}/${key ?? 'none'}` }).open(
      context,
    );
    try {
      const records: SinkRecord[] = [
        {
          key: Buffer.from('dev-1'),
          value: Buffer.from('one'),
          timestamp: 1,
          headers: new Map([['site', Buffer.from('north')]]),
          partition: 0,
          offset: 0,
          id: 'p/s/0/0',
        },
        {
          key: null,
          value: Buffer.from('two'),
          timestamp: 2,
          headers: undefined,
          partition: 0,
          offset: 1,
          id: 'p/s/0/1',
        },
      ];
      await writer.write(records);
      await writer.commit(new Map([[0, 2]]));
      const deadline = Date.now() + 5_000;
      while (got.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(got, [
        { topic: `${base}/dev-1`, payload: 'one', props: { 'rivulet.id': 'p/s/0/0', site: 'north' } },
        { topic: `${base}/none`, payload: 'two', props: { 'rivulet.id': 'p/s/0/1' } },
      ]);
    } finally {
      await writer.close();
      await reader.endAsync();
    }
  });

  test('an unreachable broker: open rejects with a retryable CONNECTOR_UNAVAILABLE', async () => {
    const port = await freePort();
    await assert.rejects(
      mqttSink({ url: `mqtt://127.0.0.1:${port}`, topic: 't' }).open(context),
      (error: unknown) => isEngineError(error, 'CONNECTOR_UNAVAILABLE') && error.retryable,
    );
  });
});
