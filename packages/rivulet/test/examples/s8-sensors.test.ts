import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DeviceStats, sensorsPipeline } from '../../../../examples/s8-sensors/pipeline.ts';
import { TestDriver } from '../../src/testing/index.ts';
import { faultSeed } from '../seeded-random.ts';
import { expectedAlarms, expectedStats, s8Readings, statsMismatch } from './fixtures/s8-reference.ts';

/**
 * S8 through the test driver: four devices over two hours of event time (up to 8 s out of order), one of
 * which stops sending half way; one second of processing time per reading. Window stats, overheat
 * alarms (average above 70 in 3 consecutive 5-minute windows) and silent-device alerts must equal plain
 * loops over the same readings.
 */
const THRESHOLD = 70;
const SILENCE = 2 * 60_000;

test('S8 sensors: window stats, overheat runs and silent devices equal plain loops', () => {
  const { readings, devices, clock } = s8Readings(faultSeed('s8-sensors'));
  const driver = new TestDriver(sensorsPipeline(THRESHOLD), { startTime: 0 });
  for (const r of readings) {
    driver.advanceTime(1_000);
    driver.pipeInput('readings', { deviceId: r.deviceId, celsius: r.celsius, ts: r.ts });
  }
  driver.pipeInput('readings', { deviceId: 'flush', celsius: 0, ts: clock + 24 * 3_600_000 });
  driver.advanceTime(10 * 60_000);

  const wantStats = expectedStats(readings);
  const stats = driver
    .readOutput('device-stats')
    .map((r) => r.value as DeviceStats)
    .filter((s) => s.deviceId !== 'flush');
  assert.equal(statsMismatch(stats, wantStats), undefined);

  // Overheat: runs of consecutive windows with avg > threshold; one alarm when a run reaches RUN_LENGTH.
  const wantAlarms = expectedAlarms(wantStats, devices, THRESHOLD);
  const sortJson = (list: unknown[]) => list.map((x) => JSON.stringify(x)).sort();
  const alarms = driver.readOutput('overheat-alarms').map((r) => r.value);
  assert.deepEqual(sortJson(alarms), sortJson(wantAlarms));
  assert.ok(wantAlarms.length > 0, 'some device overheated');

  // Silent: a device whose next reading came SILENCE or more after one (or never, by the end).
  const end = readings.at(-1)!.at + 10 * 60_000;
  const expectedSilent: unknown[] = [];
  for (const d of devices) {
    const times = readings.filter((r) => r.deviceId === d).map((r) => r.at);
    times.forEach((t, i) => {
      const next = times[i + 1] ?? Number.POSITIVE_INFINITY;
      if (next - t >= SILENCE && t + SILENCE <= end)
        expectedSilent.push({ key: d, lastSeen: t, silentSince: t + SILENCE });
    });
  }
  const silent = driver
    .readOutput('silent-devices')
    .map((r) => r.value)
    .filter((s) => (s as { key: string }).key !== 'flush');
  assert.deepEqual(sortJson(silent), sortJson(expectedSilent));
  assert.ok(
    expectedSilent.some((s) => (s as { key: string }).key === 'd3'),
    'd3 went silent',
  );
  console.log(
    `[s8-sensors] ${readings.length} readings, ${stats.length} windows, ${alarms.length} overheat alarms, ${silent.length} silent alerts: = reference`,
  );
});
