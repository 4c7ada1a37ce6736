import { SampleSet } from '../sample-set.ts';
import type { BenchResult, Suite, SuiteOptions, SuiteReport } from '../suite.ts';
import { BOUND_MS, EVENT_RATE, JITTER_MS, WITHIN_MS } from './ad-event-fixtures.ts';
import { evaluateJoinBars, STREAM_STREAM_RSS_GROWTH, STREAM_TABLE_FLOOR_SHARE } from './join-bars.ts';
import { type JoinBenchConfig, joinBenchConfig } from './join-bench-config.ts';
import type { JoinCaseOutcome } from './join-case.ts';
import { JOIN_BASELINES, JOIN_CASES } from './join-case-names.ts';
import { runJoinCaseProcess } from './join-case-process.ts';
import { crossCheckJoins, crossCheckStreamJoins } from './join-cross-check.ts';
import { MISSING_PERCENT } from './join-order-fixtures.ts';
import type { JoinSample, StreamStreamRequest, StreamStreamSample } from './join-sample.ts';
import { type ExpectedPairs, expectedPairs } from './stream-stream-expected.ts';

/** Metrics compared with the case's same-run baseline (JOIN_BASELINES). */
const COMPARED_METRICS = new Set(['records/s', 'first-output-ms']);

const STREAM_TABLE_CASES = [JOIN_CASES.engineStreamTable, JOIN_CASES.floorStreamTable] as const;
const STREAM_STREAM_CASES = [JOIN_CASES.engineStreamStream, JOIN_CASES.floorStreamStream] as const;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

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

/** The expected pairs of each stream-stream input, computed once per size in this process (not a case's). */
const expectedCache = new Map<string, ExpectedPairs>();

function expectedFor(request: StreamStreamRequest): ExpectedPairs {
  const id = `${request.recordsPerTopic}/${request.keys}`;
  let expected = expectedCache.get(id);
  if (expected === undefined) {
    expected = expectedPairs(request);
    expectedCache.set(id, expected);
  }
  return expected;
}

/** Runs one stream-stream child and prints its line; returns its sample and outcome. */
async function runStreamStreamChild(
  name: string,
  caseName: typeof JOIN_CASES.engineStreamStream | typeof JOIN_CASES.floorStreamStream,
  request: StreamStreamRequest,
  progress: (line: string) => void,
): Promise<{ join: StreamStreamSample; outcome: JoinCaseOutcome }> {
  const outcome = await runJoinCaseProcess({ case: caseName, ...request });
  const join = outcome.streamJoin!;
  const state =
    join.peakStateRecords === undefined ? '' : `, at most ${fmt(join.peakStateRecords)} records buffered`;
  progress(
    `${name}: ${fmt(join.records / join.seconds)} records/s (${join.seconds.toFixed(2)} s, ` +
      `${fmt(join.records)} records), ${fmt(join.pairs)} pairs${state}, ` +
      `peak RSS ${fmt(outcome.maxRssBytes / 1e6)} MB` +
      (join.runRssGrowthBytes === undefined
        ? ''
        : `, RSS growth during the run ${fmt(join.runRssGrowthBytes / 1e6)} MB`) +
      (join.liveHeapPeakBytes === undefined
        ? ''
        : `, live heap peak ${fmt(join.liveHeapPeakBytes / 1e6)} MB`),
  );
  return { join, outcome };
}

function addStreamJoin(samples: SampleSet, caseName: string, join: StreamStreamSample): void {
  samples.add(caseName, 'records/s', join.records / join.seconds);
  samples.add(caseName, 'join-results', join.pairs);
  if (join.peakStateRecords !== undefined) samples.add(caseName, 'peak-state-records', join.peakStateRecords);
  if (join.startMs !== undefined) samples.add(caseName, 'start-ms', join.startMs);
  if (join.checkpoints !== undefined) samples.add(caseName, 'checkpoints', join.checkpoints);
  if (join.runRssGrowthBytes !== undefined)
    samples.add(caseName, 'run-rss-growth-MB', join.runRssGrowthBytes / 1e6);
  if (join.liveHeapPeakBytes !== undefined)
    samples.add(caseName, 'live-heap-peak-MB', join.liveHeapPeakBytes / 1e6);
  if (join.stateEntriesPeak !== undefined) samples.add(caseName, 'state-entries-peak', join.stateEntriesPeak);
}

/** The stream-stream cases of one repeat, each in its own child, then their cross-check. */
async function runStreamStreamPass(
  config: JoinBenchConfig,
  samples: SampleSet,
  progress: (line: string) => void,
): Promise<void> {
  const request = { recordsPerTopic: config.streamRecordsPerTopic, keys: config.streamKeys };
  const measured: Array<{ name: string; join: StreamStreamSample }> = [];
  for (const name of STREAM_STREAM_CASES) {
    const { join, outcome } = await runStreamStreamChild(name, name, request, progress);
    addStreamJoin(samples, name, join);
    addRss(samples, name, outcome);
    measured.push({ name, join });
  }
  crossCheckStreamJoins('stream-stream', expectedFor(request), measured);
}

/**
 * The RSS pair, once per run after the repeats: engine-stream-stream at the default length (1x) and at
 * twice the records and twice the event-time span (2x; same rate, same ads), each in its own child. The
 * join state holds the records of the last ±5 minutes either way, so peak RSS should not grow with the
 * run. Each run is cross-checked against its own expected pairs.
 */
async function runStreamStreamRssPair(
  config: JoinBenchConfig,
  samples: SampleSet,
  progress: (line: string) => void,
): Promise<void> {
  const runs = [
    [JOIN_CASES.engineStreamStream1x, 1],
    [JOIN_CASES.engineStreamStream2x, 2],
  ] as const;
  for (const [name, factor] of runs) {
    const request = { recordsPerTopic: config.streamRecordsPerTopic * factor, keys: config.streamKeys };
    const { join, outcome } = await runStreamStreamChild(
      name,
      JOIN_CASES.engineStreamStream,
      request,
      progress,
    );
    crossCheckStreamJoins(name, expectedFor(request), [{ name, join }]);
    addStreamJoin(samples, name, join);
    addRss(samples, name, outcome);
  }
}

/** The join types measured in every repeat, by name. */
const PASSES = { 'stream-table': runStreamTablePass, 'stream-stream': runStreamStreamPass } as const;

type PassName = keyof typeof PASSES;

/**
 * The passes to run: all, or the one named by the environment variable BENCH_JOINS_ONLY, so that one join
 * type can be scaled alone: the 5M records are `--scale 2.5` for the stream-table case and
 * `--scale 20` for the stream-stream case; at one scale for both, the other would be far from 5M (40M
 * orders over a 20M-key table, not tried here; or 625K stream-stream records).
 */
function selectedPasses(): PassName[] {
  const only = process.env.BENCH_JOINS_ONLY;
  if (only === undefined || only === '') return Object.keys(PASSES) as PassName[];
  if (!(only in PASSES))
    throw new Error(`BENCH_JOINS_ONLY must be one of ${Object.keys(PASSES).join(', ')}, got '${only}'`);
  return [only as PassName];
}

function buildResults(samples: SampleSet): BenchResult[] {
  return samples.toResults('joins', (caseName, metric) => {
    const baseline = JOIN_BASELINES[caseName];
    return baseline === undefined || !COMPARED_METRICS.has(metric) ? [] : samples.medians([baseline], metric);
  });
}

async function runJoinsSuite(options: SuiteOptions): Promise<SuiteReport> {
  const passes = selectedPasses();
  const config = joinBenchConfig(options);
  const samples = new SampleSet();
  options.progress('node-idle (a child that loads the benchmark and exits: the RSS floor of a case process)');
  addRss(samples, JOIN_CASES.idle, await runJoinCaseProcess({ case: JOIN_CASES.idle }));
  for (let r = 1; r <= options.repeat; r++) {
    options.progress(`repeat ${r}/${options.repeat}`);
    for (const pass of passes) await PASSES[pass](config, samples, options.progress);
  }
  if (passes.includes('stream-stream')) {
    options.progress('stream-stream RSS pair (once): the engine case at 1x and 2x the run length');
    await runStreamStreamRssPair(config, samples, options.progress);
  }
  const k = (n: number): string => `${(n / 1000).toLocaleString('en-US')}K`;
  const streamRequest = { recordsPerTopic: config.streamRecordsPerTopic, keys: config.streamKeys };
  const expected = expectedFor(streamRequest);
  const minutes = (records: number): string => (records / EVENT_RATE / 60).toFixed(1);
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
      'records/s (stream-table): orders / timed seconds, the table load included in both. ' +
        'first-output-ms: from the start of timing until the first join result was appended (the engine: ' +
        'polled every 2 ms), i.e. about the time to load the table',
      'cross-check (stream-table, each repeat, fails the run): engine and floor emitted the same number ' +
        'of join results with the same sum of amounts, equal to the orders whose key is in the table and ' +
        'their qty x price',
      'peak-rss-MB: process.resourceUsage().maxRSS of the child process that ran the case (every case runs ' +
        'in its own `node --import tsx` child; node-idle is that child doing nothing). Both children fill ' +
        'their log in the same process before timing',
      `stream-stream input: an impressions and a clicks topic of ${k(config.streamRecordsPerTopic)} JSON ` +
        `records {id, ad, ts} of ~50 B each, keyed by ad (uniform over ${k(config.streamKeys)} ads), event ` +
        `time advancing ${EVENT_RATE} records/s per topic (${minutes(config.streamRecordsPerTopic)} min) ` +
        `with 0..${JITTER_MS} ms of jitter (watermark bound ${BOUND_MS} ms: nothing late), 2 partitions ` +
        'each, murmur2 by ad, durability none, filled (seeded) in the case process before timing, then one ' +
        'flush record per partition and topic a day later (keys of their own: they join nothing). ' +
        `Expected (from the generators, in this process): ${fmt(expected.pairs)} pairs within ±` +
        `${WITHIN_MS / 60_000} min, ${(expected.pairs / config.streamRecordsPerTopic).toFixed(2)} clicks per ` +
        "impression. --scale multiplies the records and the time span, not the ads (20 gives the issue's " +
        '5M records; run that alone with BENCH_JOINS_ONLY=stream-stream)',
      `${JOIN_CASES.engineStreamStream}: p.from(impressions).eventTime(ts, boundedOutOfOrder(5 s)).groupByKey() ` +
        ".join('imp-clicks', <the same of clicks>, 5 min, (i, c) => ({ ad, imp, click, dt })).to(ad-matches) " +
        '(inner, no repartition), exactly-once, commitIntervalMs 100, tasks in the main thread; timed from ' +
        'the moment run resolved (start-ms: how long it took) until lag 0 (every record consumed, the flush ' +
        "records' watermark past every record, pairs and the join store's changelog checkpointed; " +
        'checkpoints: how many the runner took meanwhile); pairs read back afterwards',
      `${JOIN_CASES.floorStreamStream}: a hand-written loop over the same log: per step and partition one ` +
        'log.fetch (256 KiB) of impressions, then one of clicks; JSON.parse; per key and side an array of ' +
        "buffered records, each new record joined with the other side's within ±5 min (pairs emitted once, " +
        "when the later one is read), then buffered; per side watermark = max time - 5 s, the join's the " +
        'min of both; records whose time + 5 min it passed are dropped (arrival-order queues); ' +
        'JSON.stringify, one log.append per fetch. peak-state-records: the most records it buffered at once',
      'records/s (stream-stream): records of both topics / timed seconds. Cross-check (each repeat and the ' +
        'RSS pair, fails the run): no record late, and every case emitted exactly the expected pairs with ' +
        'the expected checksum (a sum over pairs of a hash of the two ids)',
      `${JOIN_CASES.engineStreamStream1x} / -2x (once per run, after the repeats): the engine case with ` +
        `${k(config.streamRecordsPerTopic)} and ${k(2 * config.streamRecordsPerTopic)} records per topic ` +
        `(${minutes(config.streamRecordsPerTopic)} and ${minutes(2 * config.streamRecordsPerTopic)} min of ` +
        "event time, same rate and ads; the 1x run is the size of the repeats' case), each in its own child",
      `bars: ${JOIN_CASES.engineStreamTable} >= ${STREAM_TABLE_FLOOR_SHARE} x ${JOIN_CASES.floorStreamTable} ` +
        `(records/s); the RSS growth during the timed run (largest RSS sampled every 2 ms minus the RSS at its ` +
        `start, after a full GC) of ${JOIN_CASES.engineStreamStream2x} <= ${STREAM_STREAM_RSS_GROWTH} x ` +
        `${JOIN_CASES.engineStreamStream1x}'s (join state bounded by the window, not by the run; the process's ` +
        'peak RSS also counts the input fill and the result read-back, which grow with the run)',
      'ratios: value / baseline value (records/s: higher is better; first-output-ms: lower is better). ' +
        'Medians over repeats.',
    ],
  };
}

export const joinsSuite: Suite = {
  name: 'joins',
  description:
    'stream-table join over a 1M-key table and stream-stream join (±5 min) vs hand-written Map-based joins',
  run: runJoinsSuite,
};
