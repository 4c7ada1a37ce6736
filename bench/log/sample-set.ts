import { median } from '../sample-stats.ts';

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
  median(caseName: string, metric: string): number | undefined {
    const values = this.#cases.get(caseName)?.get(metric);
    return values === undefined ? undefined : median(values);
  }

  /** Every (case, metric) in measurement order. */
  *entries(): IterableIterator<{ caseName: string; metric: string; values: readonly number[] }> {
    for (const [caseName, metrics] of this.#cases)
      for (const [metric, values] of metrics) yield { caseName, metric, values };
  }
}
