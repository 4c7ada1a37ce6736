/** Order statistics over measured samples (nearest-rank; inputs are not modified). */

/** The median of `values` (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The nearest-rank `q`-quantile (0 < q <= 1) of samples already sorted ascending: the smallest sample
 * with at least q of all samples at or below it.
 */
export function quantileOfSorted(sorted: Float64Array | readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** End-to-end latencies in ms summarised: p50, p99, p999 (nearest rank), the maximum and the count. */
export function latencyPercentiles(latencies: readonly number[]): {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  samples: number;
} {
  const sorted = Float64Array.from(latencies).sort();
  return {
    p50Ms: quantileOfSorted(sorted, 0.5),
    p99Ms: quantileOfSorted(sorted, 0.99),
    p999Ms: quantileOfSorted(sorted, 0.999),
    maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    samples: sorted.length,
  };
}
