import type { SuiteOptions } from '../suite.ts';

/**
 * Sizes of the joins suite. The defaults (1M products and 2M orders; 125K impressions and 125K clicks
 * over 20K ads) keep `npm run bench -- joins` (3 repeats, plus the stream-stream RSS pair once) to about
 * 4 minutes here (the engine's stream-table case about 15 s timed, its stream-stream case about 17 s),
 * `--quick` to seconds. `--scale` multiplies the record counts but not the table (1M keys, as the issue
 * says) nor the ads (so the pairs per record stay the same): `--scale 2.5` gives the 5M orders
 * over the 1M-key table, `--scale 20` its 5M
 * stream-stream records (2.5M per topic, 6.9 hours of event time; run it with
 * BENCH_JOINS_ONLY=stream-stream, or the stream-table case gets 40M orders). `--quick` spans 50 s of event
 * time, less than the join's ±5 minutes: its stream-stream state never levels off, so its RSS bar means
 * nothing.
 */
export interface JoinBenchConfig {
  /** Distinct keys of the `products` table topic (one record each). */
  products: number;
  /** Records of the `orders` stream topic. */
  orders: number;
  /**
   * Records of each stream-stream topic (impressions, clicks), at EVENT_RATE per second of event time;
   * also the RSS pair's 1x run (its 2x run has twice as many).
   */
  streamRecordsPerTopic: number;
  /** Distinct ads of the stream-stream topics: with the rate, they set the pairs per record. */
  streamKeys: number;
}

export function joinBenchConfig(options: Pick<SuiteOptions, 'quick' | 'scale'>): JoinBenchConfig {
  const s = options.quick ? 0.02 * options.scale : options.scale;
  return {
    // The table has 1M keys whatever the record count: --scale does not change it.
    products: options.quick ? 20_000 : 1_000_000,
    orders: Math.max(20_000, Math.round(2_000_000 * s)),
    streamRecordsPerTopic: Math.max(5_000, Math.round(125_000 * s)),
    // --quick's 5K records per topic span 50 s of event time: fewer ads keep a few pairs per record.
    streamKeys: options.quick ? 1_000 : 20_000,
  };
}
