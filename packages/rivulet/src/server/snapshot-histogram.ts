import type { Metric } from 'prom-client';
import type { HistogramSnapshot } from '../model/index.ts';

/** One labelled series of a SnapshotHistogram. */
export interface HistogramSeries {
  labels: Record<string, string>;
  histogram: HistogramSnapshot;
}

/** A bucket bound in seconds, without binary noise (0.25 ms -> "0.00025"). */
function seconds(ms: number): string {
  return String(Number((ms / 1000).toPrecision(12)));
}

/**
 * A Prometheus histogram whose series are read at scrape time from the engine's fixed-bucket
 * histograms (milliseconds), exposed in seconds. prom-client's Histogram can only be fed observations,
 * not bucket counts, so this is a metric object of its own that a prom-client Registry formats like its
 * own histograms: `_bucket` lines cumulative with `le` labels, `le="+Inf"` equal to `_count`, `_sum`.
 */
export class SnapshotHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly #read: () => HistogramSeries[];

  constructor(name: string, help: string, read: () => HistogramSeries[]) {
    this.name = name;
    this.help = help;
    this.#read = read;
  }

  /** What Registry.metrics() asks every metric for. */
  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: Array<{ metricName: string; labels: Record<string, string>; value: number }>;
  }> {
    const values: Array<{ metricName: string; labels: Record<string, string>; value: number }> = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, histogram } of this.#read()) {
      let cumulative = 0;
      for (let i = 0; i < histogram.bounds.length; i++) {
        cumulative += histogram.counts[i] ?? 0;
        values.push({
          metricName: bucket,
          labels: { ...labels, le: seconds(histogram.bounds[i]!) },
          value: cumulative,
        });
      }
      cumulative += histogram.counts[histogram.bounds.length] ?? 0;
      values.push({ metricName: bucket, labels: { ...labels, le: '+Inf' }, value: cumulative });
      values.push({ metricName: `${this.name}_sum`, labels, value: histogram.sum / 1000 });
      values.push({ metricName: `${this.name}_count`, labels, value: cumulative });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Registry.resetMetrics(): nothing is kept here. */
  reset(): void {}

  /** This object as the Registry's parameter type (it reads only name, type, get and reset). */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}
