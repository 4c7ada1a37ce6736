/**
 * A histogram's state as plain data (it crosses postMessage and JSON): `counts[i]` observations fell in
 * (bounds[i - 1], bounds[i]], the last count above every bound. Not cumulative; the Prometheus
 * exposition sums them up.
 */
export interface HistogramSnapshot {
  /** Upper bounds of the buckets, ascending (the unit is the histogram's: milliseconds here). */
  bounds: readonly number[];
  /** One more than `bounds`: the last one counts observations above the last bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** Bounds for durations of work: a step, an fsync, a checkpoint (ms). */
export const DURATION_BUCKETS_MS: readonly number[] = Object.freeze([
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
]);

/** Bounds for end-to-end latencies, record timestamp to sink (ms). */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 3600000,
]);

/**
 * A histogram over fixed buckets: `observe` is a few comparisons and integer adds, no allocation, so it
 * can sit on hot paths. Single-threaded; readers take a `snapshot`.
 */
export class BucketHistogram {
  readonly bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    return { bounds: this.bounds, counts: this.counts.slice(), sum: this.sum, count: this.count };
  }
}
