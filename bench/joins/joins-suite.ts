import { SampleSet } from '../sample-set.ts';
import type { BenchResult, Suite, SuiteOptions, SuiteReport } from '../suite.ts';
import { evaluateJoinBars, STREAM_TABLE_FLOOR_SHARE } from './join-bars.ts';
import { type JoinBenchConfig, joinBenchConfig } from './join-bench-config.ts';
import type { JoinCaseOutcome } from './join-case.ts';
import { JOIN_BASELINES, JOIN_CASES } from './join-case-names.ts';
import { runJoinCaseProcess } from './join-case-process.ts';
import { crossCheckJoins } from './join-cross-check.ts';
import { MISSING_PERCENT } from './join-order-fixtures.ts';
import type { JoinSample } from './join-sample.ts';

/** Metrics compared with the case's same-run baseline (JOIN_BASELINES). */
const COMPARED_METRICS = new Set(['records/s', 'first-output-ms']);

const STREAM_TABLE_CASES = [JOIN_CASES.engineStreamTable, JOIN_CASES.floorStreamTable] as const;

function addRss(samples: SampleSet, caseName: string, outcome: JoinCaseOutcome): void {
  samples.add(caseName, 'peak-rss-MB', outcome.maxRssBytes / 1e6);
}

function addJoin(samples: SampleSet, caseName: string, join: JoinSample): void {
  samples.add(caseName, 'records/s', join.records / join.seconds);
  if (join.firstOutputMs !== undefined) samples.add(caseName, 'first-output-ms', join.firstOutputMs);
  samples.add(caseName, 'join-results', join.results);
  if (join.startMs !== undefined) samples.add(caseName, 'start-ms', join.startMs);
}

/** The stream-table cases of one repeat, each in its own child, then their cross-check. */
async function runStreamTablePass(
  config: JoinBenchConfig,
  samples: SampleSet,
  progress: (line: string) => void,
): Promise<void> {
  const measured: Array<{ name: string; join: JoinSample }> = [];
  for (const name of STREAM_TABLE_CASES) {
    const outcome = await runJoinCaseProcess({
      case: name,
      products: config.products,
      orders: config.orders,
    });
    const join = outcome.join!;
    const firstOutput = join.firstOutputMs === undefined ? 'none' : `${Math.round(join.firstOutputMs)} ms`;
    progress(
      `${name}: ${Math.round(join.records / join.seconds).toLocaleString('en-US')} records/s ` +
        `(${join.seconds.toFixed(2)} s), first output after ${firstOutput}, ` +
        `${join.results.toLocaleString('en-US')} join results, peak RSS ${Math.round(outcome.maxRssBytes / 1e6)} MB`,
    );
    addJoin(samples, name, join);
    addRss(samples, name, outcome);
    measured.push({ name, join });
  }
  crossCheckJoins('stream-table', measured);
}

/** The join types measured in every repeat; a stream-stream pass joins this list when it exists. */
const PASSES = [runStreamTablePass];

function buildResults(samples: SampleSet): BenchResult[] {
  return samples.toResults('joins', (caseName, metric) => {
    const baseline = JOIN_BASELINES[caseName];
    return baseline === undefined || !COMPARED_METRICS.has(metric) ? [] : samples.medians([baseline], metric);
  });
}

async function runJoinsSuite(options: SuiteOptions): Promise<SuiteReport> {
  const config = joinBenchConfig(options);
  const samples = new SampleSet();
  options.progress('node-idle (a child that loads the benchmark and exits: the RSS floor of a case process)');
  addRss(samples, JOIN_CASES.idle, await runJoinCaseProcess({ case: JOIN_CASES.idle }));
  for (let r = 1; r <= options.repeat; r++) {
    options.progress(`repeat ${r}/${options.repeat}`);
    for (const pass of PASSES) await pass(config, samples, options.progress);
  }
  const k = (n: number): string => `${(n / 1000).toLocaleString('en-US')}K`;
  return {
    results: buildResults(samples),
    bars: evaluateJoinBars((c, m) => samples.median(c, m)),
    notes: [
      `input: a products table topic of ${k(config.products)} distinct keys ('product-' + 7 digits), one ` +
        'JSON row {price, stock} of ~25 B each, and an orders topic of ' +
        `${k(config.orders)} JSON orders {id, product, qty} of ~50 B keyed by product (uniform over the ` +
        `table's keys; ${MISSING_PERCENT}% reference keys not in the table), both with 2 partitions, ` +
        'murmur2 by key, durability none, filled (seeded) in the case process before timing. --scale ' +
        "multiplies both counts (2.5 gives the issue's 5M orders, over 2.5M keys)",
      `${JOIN_CASES.engineStreamTable}: p.table('products', topic(products, json, { key: text() })); ` +
        "p.from('orders', ...).groupByKey().join(products, (o, p) => ({ id, product, amount: qty x price })).to(joined) " +
        '(inner join, no repartition). createEngine({ dataDir, maintenanceInterval: false }) + engine.run(p, { ' +
        'commitIntervalMs: 100 }) (exactly-once, tasks in the main thread), timed from the moment run resolved ' +
        '(start-ms: how long it took) until lag 0: the table read into its store (each task reads its table ' +
        'partition to the end before any order), every order consumed, results and the table changelog ' +
        'checkpointed; results read back afterwards',
      `${JOIN_CASES.floorStreamTable}: a hand-written loop over the same log: the products partitions in turn ` +
        '(log.fetch 256 KiB), JSON.parse into one Map per partition, then the orders the same way: JSON.parse, ' +
        'Map lookup by record key, the same joiner, JSON.stringify, one log.append per fetch (durability none); ' +
        'no store, changelog or checkpoints. Timed the same way: from before the table load to the last append',
      'records/s: orders / timed seconds, the table load included in both. first-output-ms: from the start of ' +
        'timing until the first join result was appended (the engine: polled every 2 ms), i.e. about the ' +
        'time to load the table',
      'cross-check (each repeat, fails the run): engine and floor emitted the same number of join results ' +
        'with the same sum of amounts, equal to the orders whose key is in the table and their qty x price',
      'peak-rss-MB: process.resourceUsage().maxRSS of the child process that ran the case (every case runs ' +
        'in its own `node --import tsx` child; node-idle is that child doing nothing). Both children fill ' +
        'their log in the same process before timing',
      `bar: ${JOIN_CASES.engineStreamTable} >= ${STREAM_TABLE_FLOOR_SHARE} x ${JOIN_CASES.floorStreamTable} ` +
        '(records/s). The stream-stream join (±5 min) and its bar (state bounded by the window: RSS flat ' +
        'when the run is 2x longer) are not in the suite yet',
      'ratios: value / baseline value (records/s: higher is better; first-output-ms: lower is better). ' +
        'Medians over repeats.',
    ],
  };
}

export const joinsSuite: Suite = {
  name: 'joins',
  description: 'stream-table join over a 1M-key table vs a hand-written Map-based join',
  run: runJoinsSuite,
};
