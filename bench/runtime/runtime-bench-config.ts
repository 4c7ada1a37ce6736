import type { SuiteOptions } from '../suite.ts';

/** Sizes of the runtime suite; the defaults keep `npm run bench -- runtime` to about 3 minutes here. */
export interface RuntimeBenchConfig {
  /** Input records of the stateless cases (engine, floor, RxJS). */
  statelessRecords: number;
  /** Input records of the keyed-count cases (the engine's keyed path is ~2x slower than stateless). */
  keyedRecords: number;
  /** Distinct users (keys) in the input. */
  keys: number;
  /** Latency cases run at these fractions of the measured stateless throughput (the bar uses 0.5). */
  latencyLoads: readonly number[];
  latencyWarmupMs: number;
  latencyDurationMs: number;
}

export function runtimeBenchConfig(options: Pick<SuiteOptions, 'quick' | 'scale'>): RuntimeBenchConfig {
  const s = options.quick ? 0.1 * options.scale : options.scale;
  return {
    statelessRecords: Math.max(20_000, Math.round(500_000 * s)),
    keyedRecords: Math.max(20_000, Math.round(400_000 * s)),
    keys: options.quick ? 10_000 : 20_000,
    latencyLoads: [0.5, 0.1],
    latencyWarmupMs: options.quick ? 300 : 500,
    latencyDurationMs: Math.max(1000, Math.round(2500 * s)),
  };
}
