import type { HistogramSnapshot } from '../model/index.ts';

/** Latency over one interval, from the change of a fixed-bucket histogram (ms). */
export interface IntervalLatency {
  /** Observations in the interval. */
  count: number;
  /**
   * The upper bound of the bucket where the cumulative count of the interval reaches 50% (99%) of
   * `count`; null without observations. Above the last bound: that bound (10 s for steps, 1 h for sinks).
   */
  p50: number | null;
  p99: number | null;
}

/**
 * The `q` quantile (0 < q <= 1) of observations given as non-cumulative bucket counts (`counts[i]` in
 * (bounds[i - 1], bounds[i]], the last one above every bound): the upper bound of the first bucket where
 * the cumulative count reaches `ceil(q * total)`; Infinity when that is the bucket above the last bound;
 * null when there are no observations. Exact up to the bucket: the true quantile lies in that bucket.
 */
export function bucketPercentile(
  bounds: readonly number[],
  counts: readonly number[],
  q: number,
): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i]!;
    if (cumulative >= rank) return i < bounds.length ? bounds[i]! : Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * The bucket counts observed between `before` and `now` (two snapshots of one cumulative histogram, or
 * sums of several with the same bounds). Without `before`, or when any count went down (the run was
 * restarted, or a task's histogram went away), `now` as a whole.
 */
export function bucketDelta(now: readonly number[], before: readonly number[] | undefined): number[] {
  if (before === undefined || before.length !== now.length) return now.slice();
  const delta = now.map((c, i) => c - before[i]!);
  return delta.some((d) => d < 0) ? now.slice() : delta;
}

/** p50 and p99 of the interval between two cumulative bucket counts (see bucketPercentile). */
export function intervalLatency(
  bounds: readonly number[],
  now: readonly number[],
  before: readonly number[] | undefined,
): IntervalLatency {
  const delta = bucketDelta(now, before);
  const last = bounds.at(-1) ?? null;
  const at = (q: number): number | null => {
    const p = bucketPercentile(bounds, delta, q);
    return p === Number.POSITIVE_INFINITY ? last : p;
  };
  return { count: delta.reduce((a, b) => a + b, 0), p50: at(0.5), p99: at(0.99) };
}

/** Sums histograms of several tasks (same bounds) into one set of counts; undefined for none. */
export function sumCounts(
  histograms: readonly HistogramSnapshot[],
): { bounds: readonly number[]; counts: number[] } | undefined {
  const first = histograms[0];
  if (first === undefined) return undefined;
  const counts = new Array<number>(first.counts.length).fill(0);
  for (const h of histograms) {
    if (h.counts.length !== counts.length) continue;
    for (let i = 0; i < counts.length; i++) counts[i]! += h.counts[i]!;
  }
  return { bounds: first.bounds, counts };
}
