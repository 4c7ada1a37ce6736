import { SampleSet } from '../sample-set.ts';
import type { BenchResult, Suite, SuiteOptions, SuiteReport } from '../suite.ts';
import { runCaseProcess } from './case-process.ts';
import type { Guarantee } from './engine-throughput.ts';
import { evaluateRuntimeBars } from './runtime-bars.ts';
import { type RuntimeBenchConfig, runtimeBenchConfig } from './runtime-bench-config.ts';
import type { CaseOutcome, CaseRequest } from './runtime-case.ts';
import type { PipelineKind } from './runtime-pipelines.ts';

const GUARANTEES: readonly Guarantee[] = ['exactly-once', 'at-least-once'];
const KINDS: readonly PipelineKind[] = ['stateless', 'keyed-count'];
/** 1: tasks in the case process's main thread; 2: in two worker threads (one per input partition). */
const PARALLELISMS = [1, 2] as const;

/** 'stateless' | 'count': the short name used in case names. */
const short = (kind: PipelineKind): string => (kind === 'stateless' ? 'stateless' : 'count');

const latencyCaseName = (guarantee: string, load: number): string =>
  `latency-${guarantee}-${Math.round(load * 100)}pct`;

/** One case of a throughput pass: its reported name and what the child runs. */
function throughputCases(config: RuntimeBenchConfig): Array<{ name: string; request: CaseRequest }> {
  const cases: Array<{ name: string; request: CaseRequest }> = [];
  for (const kind of KINDS) {
    const records = kind === 'stateless' ? config.statelessRecords : config.keyedRecords;
    const sizes = { kind, records, keys: config.keys };
    for (const guarantee of GUARANTEES)
      for (const parallelism of PARALLELISMS)
        cases.push({
          name: `engine-${short(kind)}-${guarantee}${parallelism === 1 ? '' : `-p${parallelism}`}`,
          request: { case: 'engine', guarantee, parallelism, ...sizes },
        });
    cases.push({ name: `floor-${short(kind)}`, request: { case: 'floor', ...sizes } });
    cases.push({ name: `rxjs-${short(kind)}`, request: { case: 'rxjs', ...sizes } });
  }
  return cases;
}

function addRss(samples: SampleSet, caseName: string, outcome: CaseOutcome): void {
  samples.add(caseName, 'peak-rss-MB', outcome.maxRssBytes / 1e6);
}

async function runThroughputPass(
  config: RuntimeBenchConfig,
  samples: SampleSet,
  progress: (line: string) => void,
): Promise<void> {
  for (const { name, request } of throughputCases(config)) {
    const outcome = await runCaseProcess(request);
    const t = outcome.throughput!;
    progress(
      `${name}: ${Math.round(t.records / t.seconds).toLocaleString('en-US')} records/s, ${t.outputs} outputs`,
    );
    samples.add(name, 'records/s', t.records / t.seconds);
    if (t.startMs !== undefined) samples.add(name, 'start-ms', t.startMs);
    addRss(samples, name, outcome);
  }
}

async function runLatencyPass(
  config: RuntimeBenchConfig,
  samples: SampleSet,
  progress: (line: string) => void,
): Promise<void> {
  for (const guarantee of GUARANTEES) {
    // The rate the whole latency setup (producer, engine, consumer on one thread) sustains.
    const saturation = await runCaseProcess({
      case: 'latency',
      guarantee,
      rate: 'max',
      keys: config.keys,
      warmupMs: config.latencyWarmupMs,
      durationMs: config.latencyDurationMs,
    });
    const s = saturation.latency!;
    const maxName = `latency-${guarantee}-max`;
    progress(
      `${maxName}: sustains ${Math.round(s.processedRate)} records/s (p50 ${s.p50Ms.toFixed(1)} ms, p99 ${s.p99Ms.toFixed(1)} ms)`,
    );
    samples.add(maxName, 'sustained-records/s', s.processedRate);
    samples.add(maxName, 'p50-ms', s.p50Ms);
    samples.add(maxName, 'p99-ms', s.p99Ms);
    for (const load of config.latencyLoads) {
      const name = latencyCaseName(guarantee, load);
      const outcome = await runCaseProcess({
        case: 'latency',
        guarantee,
        rate: Math.round(s.processedRate * load),
        keys: config.keys,
        warmupMs: config.latencyWarmupMs,
        durationMs: config.latencyDurationMs,
      });
      const l = outcome.latency!;
      if (l.samples === 0) throw new Error(`${name}: no outputs arrived`);
      progress(
        `${name}: p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms at ${Math.round(l.inputRate)} records/s` +
          (l.missing > 0 ? ` (${l.missing} outputs missing)` : ''),
      );
      samples.add(name, 'p50-ms', l.p50Ms);
      samples.add(name, 'p99-ms', l.p99Ms);
      samples.add(name, 'p999-ms', l.p999Ms);
      samples.add(name, 'input-records/s', l.inputRate);
      if (l.missing > 0) samples.add(name, 'missing-outputs', l.missing);
      addRss(samples, name, outcome);
    }
  }
}

/** Engine cases against the floor and RxJS of the same pipeline; the floor against RxJS. */
function baselinesFor(
  caseName: string,
  metric: string,
  samples: SampleSet,
): Array<{ name: string; value: number }> {
  if (metric !== 'records/s') return [];
  const match = /^(engine|floor)-(stateless|count)(-[a-z-]+?)?(-p2)?$/.exec(caseName);
  if (match === null) return [];
  const [, what, kind, guarantee, p2] = match;
  const names =
    what === 'engine'
      ? [...(p2 === undefined ? [] : [`engine-${kind}${guarantee}`]), `floor-${kind}`, `rxjs-${kind}`]
      : [`rxjs-${kind}`];
  return samples.medians(names, metric);
}

function buildResults(samples: SampleSet): BenchResult[] {
  return samples.toResults('runtime', (caseName, metric) => baselinesFor(caseName, metric, samples));
}

async function runRuntimeSuite(options: SuiteOptions): Promise<SuiteReport> {
  const config = runtimeBenchConfig(options);
  const samples = new SampleSet();
  options.progress('node-idle (a child that loads the benchmark and exits: the RSS floor of a case process)');
  addRss(samples, 'node-idle', await runCaseProcess({ case: 'idle' }));
  for (let r = 1; r <= options.repeat; r++) {
    options.progress(`throughput repeat ${r}/${options.repeat}`);
    await runThroughputPass(config, samples, options.progress);
  }
  for (let r = 1; r <= options.repeat; r++) {
    options.progress(`latency repeat ${r}/${options.repeat}`);
    await runLatencyPass(config, samples, options.progress);
  }
  const k = (n: number): string => `${Math.round(n / 1000)}K`;
  return {
    results: buildResults(samples),
    bars: evaluateRuntimeBars(
      (c, m) => samples.median(c, m),
      (g) => latencyCaseName(g, 0.5),
    ),
    notes: [
      `input: JSON orders {id, user, amount, currency, channel, ts} of ~100 B, keyed by user (${k(config.keys)} ` +
        `users, uniform), amounts 0..999, in a 2-partition topic (durability none) filled before timing; ` +
        `stateless cases ${k(config.statelessRecords)} records, keyed-count cases ${k(config.keyedRecords)}`,
      'stateless = filter(amount > 500) (about half pass) -> map to {id, user, cents, ts} -> out topic; ' +
        'count = groupByKey() (the input is partitioned by user) -> count -> toStream -> out topic (one ' +
        'output per input; the engine keeps a changelog)',
      'engine-*: createEngine({ dataDir, maintenanceInterval: false }) + engine.run(p, { guarantee, ' +
        'commitIntervalMs: 100, parallelism }), timed from the moment run resolved (start-ms: how long it ' +
        "took) until lag 0 and the out partitions' committed offsets cover every output; the out topic is " +
        'the one the runner creates (durability none, synced at each checkpoint). Without -p2: tasks in the ' +
        "case process's main thread; -p2: in 2 worker threads (one per partition), the main thread serving " +
        'the log and checkpoints; the machine has 2 cores for all three',
      'floor-*: a hand-written loop over the same log: log.fetch 256 KiB, JSON.parse, filter/map or a Map ' +
        'count, JSON.stringify, one log.append per fetch to an out topic with durability none; no ' +
        'checkpoints, no repartition (the input is already partitioned by user)',
      'rxjs-*: RxJS over the same orders already decoded in memory (no log, JSON or I/O): from(array)' +
        '.pipe(filter, map), or scan over a Map for the count; outputs collected in an array',
      'latency-<guarantee>-max: the latency setup below with the producer sending 1,000-record chunks as ' +
        'fast as it can (yielding to the engine after each); sustained-records/s = input records the ' +
        'engine processed per second meanwhile: the maximum throughput of this setup',
      `latency-<guarantee>-<N>pct: the stateless pipeline fed by producer.send every ~1 ms at N% of the ` +
        `same repeat's sustained rate; a read-committed consumer (from latest) on the out ` +
        `topic takes arrival - send time of every output; producer, consumer and engine share one thread; ` +
        `${config.latencyWarmupMs} ms warm-up then ${config.latencyDurationMs} ms counted`,
      'peak-rss-MB: process.resourceUsage().maxRSS of the child process that ran the case (every case ' +
        'runs in its own `node --import tsx` child; node-idle is that child doing nothing)',
      'ratios: value / baseline value (higher is better for records/s). Medians over repeats.',
    ],
  };
}

export const runtimeSuite: Suite = {
  name: 'runtime',
  description: 'pipeline runtime: stateless and keyed count vs a hand-written loop and RxJS; latency',
  run: runRuntimeSuite,
};
