import { median } from './sample-stats.ts';
import type { BenchResult } from './suite.ts';

/** Per-repeat values of every (case, metric), in the order cases were first measured. */
export class SampleSet {
  readonly #cases = new Map<string, Map<string, number[]>>();

  add(caseName: string, metric: string, value: number): void {
    let metrics = this.#cases.get(caseName);
    if (metrics === undefined) {
      metrics = new Map();
      this.#cases.set(caseName, metrics);
    }
    const values = metrics.get(metric);
    if (values === undefined) metrics.set(metric, [value]);
    else values.push(value);
  }

  /** The median over repeats, or undefined when the case or metric was never measured. */
  /** The medians of `metric` for those of `caseNames` that were measured, as baselines. */
  medians(caseNames: readonly string[], metric: string): Array<{ name: string; value: number }> {
    const out: Array<{ name: string; value: number }> = [];
    for (const name of caseNames) {
      const value = this.median(name, metric);
      if (value !== undefined) out.push({ name, value });
    }
    return out;
  }

  median(caseName: string, metric: string): number | undefined {
    const values = this.#cases.get(caseName)?.get(metric);
    return values === undefined ? undefined : median(values);
  }

  /** Every (case, metric) in measurement order. */
  *entries(): IterableIterator<{ caseName: string; metric: string; values: readonly number[] }> {
    for (const [caseName, metrics] of this.#cases)
      for (const [metric, values] of metrics) yield { caseName, metric, values };
  }

  /**
   * One result per (case, metric) median, or one per baseline `baselinesFor` names for it (with the
   * baseline's median and the ratio), in measurement order.
   */
  toResults(
    suite: string,
    baselinesFor: (caseName: string, metric: string) => Array<{ name: string; value: number }>,
  ): BenchResult[] {
    const results: BenchResult[] = [];
    for (const { caseName, metric } of this.entries()) {
      const value = this.median(caseName, metric)!;
      const baselines = baselinesFor(caseName, metric);
      if (baselines.length === 0) results.push({ suite, case: caseName, metric, value });
      for (const b of baselines) {
        results.push({
          suite,
          case: caseName,
          metric,
          value,
          baseline: b.name,
          baselineValue: b.value,
          ratio: value / b.value,
        });
      }
    }
    return results;
  }
}
