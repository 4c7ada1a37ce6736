import type { BenchLog } from './bench-log.ts';
import { payload } from './record-fixtures.ts';

export interface LatencySample {
  /** Acknowledgement latencies in microseconds, sorted ascending. */
  sortedUs: Float64Array;
  /** Length of the measuring window(s) in ms; samples / window = acknowledged records per second. */
  windowMs: number;
}

/** Pools the samples of several windows (e.g. interleaved slices of one case) into one sample. */
export function mergeLatencySamples(parts: readonly LatencySample[]): LatencySample {
  let length = 0;
  for (const p of parts) length += p.sortedUs.length;
  const all = new Float64Array(length);
  let at = 0;
  let windowMs = 0;
  for (const p of parts) {
    all.set(p.sortedUs, at);
    at += p.sortedUs.length;
    windowMs += p.windowMs;
  }
  return { sortedUs: all.sort(), windowMs };
}

/**
 * `producers` concurrent producers (each its own idempotent Producer) each loop: send one record of
 * `recordBytes`, await its acknowledgement, repeat. Latency = send call to acknowledgement, taken with
 * performance.now(). Sends started in the first `warmupMs` are dropped; every send started in the
 * following `measureMs` counts (however late its acknowledgement, so slow ones are not censored). No new
 * send starts after the window. Concurrent sends of one partition share a write and an fdatasync (group
 * commit).
 */
export async function measureAppendLatency(
  bench: BenchLog,
  producers: number,
  recordBytes: number,
  warmupMs: number,
  measureMs: number,
): Promise<LatencySample> {
  const { log, topic } = bench;
  const records = [{ value: payload(recordBytes) }];
  const samples: number[] = [];
  const begin = performance.now();
  const measureFrom = begin + warmupMs;
  const end = measureFrom + measureMs;
  const loop = async (): Promise<void> => {
    const producer = log.createProducer({ idempotent: true });
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      await producer.send(topic, records);
      const t1 = performance.now();
      if (t0 >= measureFrom) samples.push((t1 - t0) * 1000);
    }
  };
  await Promise.all(Array.from({ length: producers }, loop));
  const sortedUs = Float64Array.from(samples).sort();
  return { sortedUs, windowMs: measureMs };
}
