import type { SuiteOptions } from '../suite.ts';

/** Sizes of the log suite; defaults keep `npm run bench -- log` to a few minutes on 2 shared cores. */
export interface LogBenchConfig {
  /** Payload bytes per append call and per raw write (records per call = chunkBytes / record bytes). */
  chunkBytes: number;
  /** Calls in flight for `none` / `interval` throughput cases. `fsync` cases always use 1. */
  nonDurableDepth: number;
  /** Payload bytes written per `none` / `interval` case (also what the read cases read). */
  nonDurableBytes: number;
  /** Payload bytes written per `fsync` case and its raw floor. */
  fsyncBytes: number;
  /** Record size of the latency cases. */
  latencyRecordBytes: number;
  latencyProducers: readonly number[];
  /**
   * Each latency case (the raw floor and every producer count) is measured in this many slices per
   * repeat, taken in turn (raw, c1, c16, c256, raw, ...), so all see the same moments of a shared disk.
   */
  latencySlices: number;
  /** Warm-up before each slice (samples dropped). */
  latencyWarmupMs: number;
  /** Measured length of each slice. */
  latencySliceMs: number;
  /** Messages per NATS case, by record size label. */
  natsMessages: { readonly [label: string]: number };
  /** Un-awaited publishes per window. */
  natsWindow: number;
}

const MB = 1_000_000;

export function logBenchConfig(options: Pick<SuiteOptions, 'quick' | 'scale'>): LogBenchConfig {
  const s = options.quick ? 0.05 * options.scale : options.scale;
  return {
    chunkBytes: 256 * 1024,
    nonDurableDepth: 4,
    nonDurableBytes: Math.max(4 * MB, Math.round(200 * MB * s)),
    fsyncBytes: Math.max(2 * MB, Math.round(100 * MB * s)),
    latencyRecordBytes: 1024,
    latencyProducers: [1, 16, 256],
    latencySlices: 12,
    latencyWarmupMs: 25,
    latencySliceMs: Math.max(50, Math.round(160 * s)),
    natsMessages: {
      '100B': Math.max(2000, Math.round(100_000 * s)),
      '1KiB': Math.max(2000, Math.round(60_000 * s)),
    },
    natsWindow: 2000,
  };
}
