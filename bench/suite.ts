/**
 * The contract between `bench/run.ts` and one benchmark suite. A suite measures its cases `repeat` times
 * in one process and reports medians; the runner prints them (table or JSON lines, DESIGN.md §7).
 */

/** Options every suite receives from the command line. */
export interface SuiteOptions {
  /** How many times each case is measured; medians are reported. */
  repeat: number;
  /** A smoke run: small sizes, seconds instead of minutes. Numbers are not meaningful. */
  quick: boolean;
  /** Multiplies the default sizes (records, durations); 1 unless `--scale` is given. */
  scale: number;
  /** Progress lines go here (stderr), never into the results. */
  progress: (line: string) => void;
}

/**
 * One reported number: the median over repeats of one metric of one case. `baseline` names another case
 * measured in the same run and `ratio` is value / baselineValue (for latencies lower is better, so a
 * ratio of 2 means twice as slow as the baseline).
 */
export interface BenchResult {
  suite: string;
  case: string;
  /** The unit, e.g. 'records/s', 'MB/s' (10^6 bytes of payload per second), 'p99-us'. */
  metric: string;
  value: number;
  baseline?: string;
  baselineValue?: number;
  ratio?: number;
}

/** A target the suite checks against its own medians. */
export interface BarVerdict {
  name: string;
  /** The rule in words, with the cases it compares. */
  rule: string;
  /** What was measured, in words and numbers. */
  measured: string;
  /** undefined when a case the bar needs did not run (e.g. filtered out). */
  pass: boolean | undefined;
}

export interface SuiteReport {
  results: BenchResult[];
  bars: BarVerdict[];
  /** Short notes printed under the table (what is compared to what). */
  notes: string[];
}

export interface Suite {
  name: string;
  description: string;
  run(options: SuiteOptions): Promise<SuiteReport>;
}
