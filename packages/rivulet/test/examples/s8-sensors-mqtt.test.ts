import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mqttSource } from '@rivulet/mqtt';
import mqtt from 'mqtt';
import { type DeviceStats, sensorsPipeline } from '../../../../examples/s8-sensors/pipeline.ts';
import { createEngine, type Log } from '../../src/index.ts';
import { waitUntil } from '../../src/testing/index.ts';
import { faultSeed } from '../seeded-random.ts';
import { expectedAlarms, expectedStats, s8Readings, statsMismatch } from './fixtures/s8-reference.ts';

/**
 * S8 over MQTT: the readings are published to the local Mosquitto (QoS 1, one topic per device) and read
 * by the pipeline through `mqttSource` (a persistent session acknowledged at checkpoints). Window stats
 * and overheat alarms must equal the plain loops the test-driver version is checked against. (Silent
 * devices depend on processing time, checked with the manual clock in s8-sensors.test.ts.)
 */
const THRESHOLD = 70;
const URL = process.env.RIVULET_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

async function committedValues(log: Log, topic: string): Promise<unknown[]> {
  const values: unknown[] = [];
  for (let p = 0; p < log.topicConfig(topic).partitions; p++) {
    let offset = 0;
    for (;;) {
      const fetched = await log.fetch(topic, p, offset, undefined, 'committed');
      for (const r of fetched.records) values.push(JSON.parse(r.valueString()!));
      if (fetched.nextOffset <= offset) break;
      offset = fetched.nextOffset;
    }
  }
  return values;
}

test('S8 over MQTT: window stats and overheat alarms equal plain loops', { timeout: 120_000 }, async () => {
  const { readings, devices, clock } = s8Readings(faultSeed('s8-sensors-mqtt'));
  const prefix = `s8-${randomBytes(4).toString('hex')}`;
  const clientId = `rivulet-s8-test-${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-s8-mqtt-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  const publisher = await mqtt.connectAsync(URL, { protocolVersion: 5 });
  try {
    const source = mqttSource({ url: URL, topics: [`${prefix}/#`], clientId });
    const run = await engine.run(sensorsPipeline(THRESHOLD, source), { commitIntervalMs: 50 });
    const publish = (deviceId: string, celsius: number, ts: number) =>
      publisher.publishAsync(`${prefix}/${deviceId}`, JSON.stringify({ deviceId, celsius, ts }), { qos: 1 });
    // The session subscribes when the pipeline opens its reader: publish a warm-up reading until one arrives.
    await waitUntil(async () => {
      await publish('warmup', 0, readings[0]!.ts);
      return (run.status().connectors?.sources.readings?.recordsIn ?? 0) > 0;
    }, 'the pipeline subscribed');
    for (const r of readings) await publish(r.deviceId, r.celsius, r.ts);
    await publish('flush', 0, clock + 24 * 3_600_000);

    const wantStats = expectedStats(readings);
    const wantAlarms = expectedAlarms(wantStats, devices, THRESHOLD);
    const stats = async () =>
      ((await committedValues(engine.log, 'device-stats')) as DeviceStats[]).filter((s) =>
        devices.includes(s.deviceId),
      );
    await waitUntil(async () => (await stats()).length >= wantStats.length, `${wantStats.length} windows`);
    const alarms = () => committedValues(engine.log, 'overheat-alarms');
    await waitUntil(async () => (await alarms()).length >= wantAlarms.length, `${wantAlarms.length} alarms`);
    await run.stop();
    assert.equal(statsMismatch(await stats(), wantStats), undefined);
    const sortJson = (list: unknown[]) => list.map((x) => JSON.stringify(x)).sort();
    assert.deepEqual(sortJson(await alarms()), sortJson(wantAlarms));
    assert.ok(wantAlarms.length > 0, 'some device overheated');
    console.log(
      `[s8-sensors over MQTT] ${readings.length} readings, ${wantStats.length} windows, ${wantAlarms.length} overheat alarms: = reference`,
    );
  } finally {
    await publisher.endAsync();
    // Remove the persistent session from the broker.
    const cleaner = await mqtt.connectAsync(URL, { clientId, clean: true, protocolVersion: 5 });
    await cleaner.endAsync();
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
