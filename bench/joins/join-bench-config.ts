import type { SuiteOptions } from '../suite.ts';

/**
 * Sizes of the joins suite. The defaults (1M products, 2M orders) keep `npm run bench -- joins`
 * (3 repeats) to about 1.5 minutes here (the engine case about 15 s timed), `--quick` to seconds.
 * `--scale` multiplies both counts: `--scale 2.5` gives the 5M orders (over a 2.5M-key table).
 */
export interface JoinBenchConfig {
  /** Distinct keys of the `products` table topic (one record each). */
  products: number;
  /** Records of the `orders` stream topic. */
  orders: number;
}

export function joinBenchConfig(options: Pick<SuiteOptions, 'quick' | 'scale'>): JoinBenchConfig {
  const s = options.quick ? 0.02 * options.scale : options.scale;
  return {
    products: Math.max(10_000, Math.round(1_000_000 * s)),
    orders: Math.max(20_000, Math.round(2_000_000 * s)),
  };
}
