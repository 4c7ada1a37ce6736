import type { SuiteOptions } from '../suite.ts';

/**
 * Sizes of the windows suite; the defaults keep `npm run bench -- windows` (3 repeats) to about 5 minutes
 * here, `--quick` to about 30 s. `--scale` multiplies the record counts (2.5 gives the 5M
 * records for the tumbling case).
 */
export interface WindowBenchConfig {
  /** Input records of the tumbling cases (engine, floor, RxJS). */
  tumblingRecords: number;
  /** Input records of the hopping cases (each record is in 60 windows: the floor and RxJS update 60 states per record). */
  hoppingRecords: number;
  /** Input records of the session cases. */
  sessionRecords: number;
  /** Input records of the sliding cases (one result per record; 1M records are 16.7 min of event time). */
  slidingRecords: number;
  /**
   * Records of the sliding RSS pair at 1x the event rate (EVENT_RATE); the 10x case has ten times as
   * many over the same event-time span. Each runs once per suite.
   */
  slidingRateRecords: number;
  /** Distinct users (keys) in the input. */
  users: number;
}

export function windowBenchConfig(options: Pick<SuiteOptions, 'quick' | 'scale'>): WindowBenchConfig {
  const s = options.quick ? 0.025 * options.scale : options.scale;
  return {
    tumblingRecords: Math.max(20_000, Math.round(2_000_000 * s)),
    hoppingRecords: Math.max(5_000, Math.round(200_000 * s)),
    sessionRecords: Math.max(20_000, Math.round(1_000_000 * s)),
    slidingRecords: Math.max(20_000, Math.round(1_000_000 * s)),
    slidingRateRecords: Math.max(20_000, Math.round(300_000 * s)),
    users: 10_000,
  };
}
