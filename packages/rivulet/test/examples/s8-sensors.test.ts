import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DeviceStats,
  RUN_LENGTH,
  sensorsPipeline,
  WINDOW,
} from '../../../../examples/s8-sensors/pipeline.ts';
import { TestDriver } from '../../src/testing/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * S8 through the test driver: four devices over two hours of event time (up to 8 s out of order), one of
 * which stops sending half way; one second of processing time per reading. Window stats, overheat
 * alarms (average above 70 in 3 consecutive 5-minute windows) and silent-device alerts must equal plain
 * loops over the same readings.
 */
const THRESHOLD = 70;
const SILENCE = 2 * 60_000;

test('S8 sensors: window stats, overheat runs and silent devices equal plain loops', () => {
  const random = new SeededRandom(faultSeed('s8-sensors'));
  const devices = ['d1', 'd2', 'd3', 'd4'];
  // d4 starts hot, so some window runs are above the threshold whatever the seed.
  const temperature = new Map(devices.map((d) => [d, d === 'd4' ? 78 : 65]));
  const readings: Array<{ deviceId: string; celsius: number; ts: number; at: number }> = [];
  const start = 1_700_000_000_000 - (1_700_000_000_000 % WINDOW);
  let clock = start;
  for (let i = 0; i < 1200; i++) {
    clock += random.between(2_000, 10_000);
    const deviceId = random.pick(i > 600 ? ['d1', 'd2', 'd4'] : devices); // d3 goes silent half way
    const t = Math.max(50, Math.min(90, temperature.get(deviceId)! + random.between(-2, 2)));
    temperature.set(deviceId, t);
    readings.push({ deviceId, celsius: t, ts: clock - random.between(0, 8_000), at: 1_000 * (i + 1) });
  }
  const driver = new TestDriver(sensorsPipeline(THRESHOLD), { startTime: 0 });
  for (const r of readings) {
    driver.advanceTime(1_000);
    driver.pipeInput('readings', { deviceId: r.deviceId, celsius: r.celsius, ts: r.ts });
  }
  driver.pipeInput('readings', { deviceId: 'flush', celsius: 0, ts: clock + 24 * 3_600_000 });
  driver.advanceTime(10 * 60_000);

  // Stats per device and window.
  const windows = new Map<string, { deviceId: string; start: number; values: number[] }>();
  for (const r of readings) {
    const s = r.ts - (r.ts % WINDOW);
    const id = `${r.deviceId}|${s}`;
    const w = windows.get(id) ?? { deviceId: r.deviceId, start: s, values: [] };
    w.values.push(r.celsius);
    windows.set(id, w);
  }
  const expectedStats: DeviceStats[] = [...windows.values()].map((w) => ({
    deviceId: w.deviceId,
    start: w.start,
    end: w.start + WINDOW,
    min: Math.min(...w.values),
    max: Math.max(...w.values),
    avg: w.values.reduce((a, b) => a + b, 0) / w.values.length,
  }));
  const stats = driver
    .readOutput('device-stats')
    .map((r) => r.value as DeviceStats)
    .filter((s) => s.deviceId !== 'flush');
  const byId = (list: DeviceStats[]) => new Map(list.map((s) => [`${s.deviceId}|${s.start}`, s]));
  assert.equal(stats.length, expectedStats.length);
  for (const [id, expected] of byId(expectedStats)) {
    const got = byId(stats).get(id);
    assert.ok(got !== undefined, `no stats for ${id}`);
    assert.deepEqual({ ...got, avg: 0 }, { ...expected, avg: 0 });
    assert.ok(Math.abs(got.avg - expected.avg) < 1e-9, `${id} avg ${got.avg} vs ${expected.avg}`);
  }

  // Overheat: runs of consecutive windows with avg > threshold; one alarm when a run reaches RUN_LENGTH.
  const expectedAlarms: unknown[] = [];
  for (const d of devices) {
    const list = expectedStats.filter((s) => s.deviceId === d).sort((a, b) => a.start - b.start);
    let length = 0;
    let end = -1;
    for (const s of list) {
      if (s.avg <= THRESHOLD) {
        length = 0;
        continue;
      }
      length = s.start === end ? length + 1 : 1;
      end = s.end;
      if (length === RUN_LENGTH)
        expectedAlarms.push({ deviceId: d, since: s.end - RUN_LENGTH * WINDOW, until: s.end });
    }
  }
  const sortJson = (list: unknown[]) => list.map((x) => JSON.stringify(x)).sort();
  const alarms = driver.readOutput('overheat-alarms').map((r) => r.value);
  assert.deepEqual(sortJson(alarms), sortJson(expectedAlarms));
  assert.ok(expectedAlarms.length > 0, 'some device overheated');

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
