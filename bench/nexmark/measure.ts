import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** What every throughput case reports: its input, its results and the time and CPU it took. */
export interface Measured {
  events: number;
  /** Result records (updates, for the upsert queries); absent when they went to a blackhole. */
  outputs?: number;
  /** Wall-clock seconds of the timed part. */
  seconds: number;
  /**
   * CPU seconds (user + system) the whole process used in the timed part: process.cpuUsage() deltas,
   * which count every thread of the process (worker threads, GC, libuv and DuckDB threads).
   */
  cpuSeconds: number;
}

/** CPU seconds (user + system) the process has used so far, all threads. */
export function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Times `work` (wall clock and process CPU). */
export async function timed<T>(
  work: () => T | Promise<T>,
): Promise<{ result: T; seconds: number; cpuSeconds: number }> {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSeconds() - c0 };
}

export interface Profiler {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A V8 CPU profile of this thread (node:inspector) between `start` and `stop`, written to `path` as a
 * .cpuprofile (Chrome DevTools format, the same as `node --cpu-prof`). Worker threads are not included.
 */
export function cpuProfiler(path: string, samplingIntervalUs = 200): Profiler {
  const session = new Session();
  return {
    async start() {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
      await session.post('Profiler.start');
    },
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      writeFileSync(path, JSON.stringify(profile));
    },
  };
}
