/**
 * S8, sensor monitoring: temperature readings `{ deviceId, celsius, ts }` arrive over MQTT (with
 * `S8_MQTT_URL` set: topics `sensors/#`, a persistent QoS 1 session) or on the topic 'readings' of the
 * embedded log. Per device and 5-minute window of event time:
 * min, max and average to 'device-stats'; an alarm to 'overheat-alarms' when the average is above the
 * threshold in 3 consecutive windows (once per such run, again only after an average at or below it or
 * a gap); 'silent-devices' when a device sends nothing for 2 minutes of processing time.
 *
 *   rivulet topics create readings --partitions 2
 *   rivulet run examples/s8-sensors/pipeline.ts
 *   S8_MQTT_URL=mqtt://127.0.0.1:1883 rivulet run examples/s8-sensors/pipeline.ts   # readings from MQTT
 */
import { mqttSource } from '@rivulet/mqtt';
import { boundedOutOfOrder, json, pipeline, type SourceConnector, topic, tumbling } from 'rivulet';
import { z } from 'zod';

export const Reading = z.object({
  deviceId: z.string(),
  celsius: z.number(),
  ts: z.number().int().nonnegative(),
});
type ReadingT = z.infer<typeof Reading>;

export const WINDOW = 5 * 60_000;
export const RUN_LENGTH = 3;

interface Stats {
  min: number;
  max: number;
  sum: number;
  count: number;
}

export interface DeviceStats {
  deviceId: string;
  start: number;
  end: number;
  min: number;
  max: number;
  avg: number;
}

/** `readingsFrom`: a source connector (e.g. `mqttSource`) instead of the log topic 'readings'. */
export function sensorsPipeline(threshold: number, readingsFrom?: SourceConnector) {
  const s8 = pipeline('sensors');
  const source =
    readingsFrom === undefined
      ? s8.from('readings', topic('readings', json(Reading)))
      : s8.from('readings', readingsFrom, json(Reading));
  const readings = source
    .eventTime((r) => r.ts, boundedOutOfOrder('10s', { idleTimeout: '1m' }))
    .keyBy((r) => r.deviceId);
  const stats = readings
    .window(tumbling(WINDOW))
    .aggregate(
      'temperature-stats',
      (): Stats => ({ min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, sum: 0, count: 0 }),
      (s, r: ReadingT) => ({
        min: Math.min(s.min, r.celsius),
        max: Math.max(s.max, r.celsius),
        sum: s.sum + r.celsius,
        count: s.count + 1,
      }),
    )
    .map(
      (w): DeviceStats => ({
        deviceId: w.key,
        start: w.window.start,
        end: w.window.end,
        min: w.value.min,
        max: w.value.max,
        avg: w.value.sum / w.value.count,
      }),
    );
  stats.to('stats-out', topic('device-stats', json()));
  stats
    .keyBy((s) => s.deviceId)
    .process(
      'overheat',
      {
        process(s, ctx) {
          const run = ctx.state<{ end: number; length: number }>('run');
          const previous = run.get();
          if (s.avg <= threshold) {
            run.clear();
            return undefined;
          }
          const length = previous !== undefined && previous.end === s.start ? previous.length + 1 : 1;
          run.set({ end: s.end, length });
          return length === RUN_LENGTH
            ? [{ deviceId: s.deviceId, since: s.end - RUN_LENGTH * WINDOW, until: s.end }]
            : undefined;
        },
      },
      { stores: [{ name: 'run' }] },
    )
    .to('alarms-out', topic('overheat-alarms', json()));
  readings.silence('silent', '2m', { time: 'processing' }).to('silent-out', topic('silent-devices', json()));
  return s8;
}

const mqttUrl = process.env.S8_MQTT_URL;
export default sensorsPipeline(
  Number(process.env.S8_THRESHOLD ?? 70),
  mqttUrl === undefined
    ? undefined
    : mqttSource({ url: mqttUrl, topics: ['sensors/#'], clientId: 'rivulet-s8-sensors' }),
);
