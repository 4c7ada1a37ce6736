/**
 * `npm run bench -- nexmark [--query q0,q5] [--events N] [--rate R] [--parallelism P] [--source memory|log]
 * [--engines ...] [--check] [--no-latency] [--cpu-prof] [--json] [--repeat N] [--quick]`: the Nexmark
 * queries (packages/rivulet/src/nexmark) on Rivulet, the events generated in the task (rivulet-memory)
 * or appended to the durable log first (rivulet-log), against a hand-written loop, RxJS, Node streams
 * and DuckDB over the same events, in the same run. Events/s and events/s per core (CPU measured with
 * process.cpuUsage in each case's own child process), latency at half the log case's throughput, peak
 * RSS, ratios, bars. Method and options: docs/benchmarks.md (Nexmark).
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProgress, type Progress } from '../progress-bar.ts';
import { summarizeProfile } from '../runtime/cpu-profile-summary.ts';
import { SampleSet } from '../sample-set.ts';
import type { BenchResult, Suite, SuiteOptions, SuiteReport } from '../suite.ts';
import type { EngineSource } from './engine-case.ts';
import { evaluateNexmarkBars } from './nexmark-bars.ts';
import {
  type EngineName,
  hasVersion,
  type NexmarkBenchConfig,
  nexmarkBenchConfig,
} from './nexmark-bench-config.ts';
import { type NexmarkCaseOutcome, type NexmarkCaseRequest, runNexmarkCaseProcess } from './nexmark-case.ts';
import type { EventConfig } from './nexmark-events.ts';
import { nexmarkTable } from './nexmark-table.ts';
import type { PeerKind } from './peer-cases.ts';
import { RXJS_MISSING, RXJS_QUERIES } from './rxjs-peers.ts';

const SUITE = 'nexmark';
const PER_CORE = 'events/s/core';
const PEERS: readonly EngineName[] = ['hand-loop', 'rxjs', 'node-streams', 'duckdb'];
const k = (n: number): string => Math.round(n).toLocaleString('en-US');

function eventConfig(config: NexmarkBenchConfig, query: string): EventConfig {
  return {
    events: config.eventsFor(query),
    rate: config.rate,
    seed: config.seed,
    splits: config.parallelism,
  };
}

function caseRequest(
  config: NexmarkBenchConfig,
  query: string,
  engine: EngineName,
  check: boolean,
  profile?: string,
): NexmarkCaseRequest {
  const events = eventConfig(config, query);
  if (engine === 'rivulet-log' || engine === 'rivulet-memory')
    return {
      case: 'engine',
      query,
      source: engine.slice('rivulet-'.length) as EngineSource,
      events,
      parallelism: config.parallelism,
      commitIntervalMs: config.commitIntervalMs,
      sink: engine === 'rivulet-memory' && !check ? config.memorySink : 'topic',
      check,
      ...(profile === undefined ? {} : { profile }),
    };
  if (engine === 'duckdb') return { case: 'duckdb', query, events };
  return {
    case: 'peer',
    peer: engine as PeerKind,
    query,
    events,
    check,
    ...(profile === undefined ? {} : { profile }),
  };
}

interface CaseProblem {
  caseName: string;
  summary: string;
}

/** What a run collects besides the samples: oracle differences and cases that failed. */
interface RunState {
  samples: SampleSet;
  progress: Progress;
  differences: CaseProblem[];
  errors: CaseProblem[];
}

/** Whether `engine`'s results go to a blackhole, so that --check needs a case of its own. */
function separateCheck(config: NexmarkBenchConfig, engine: EngineName): boolean {
  return engine === 'rivulet-memory' && config.memorySink === 'blackhole';
}

/** The interesting line of a failed case (the child's error, not the request). */
function errorSummary(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const body = text.includes('):\n') ? text.slice(text.indexOf('):\n') + 3) : text;
  const line = body.split('\n').find((l) => l.trim() !== '') ?? body;
  return line.length > 400 ? `${line.slice(0, 400)}...` : line;
}

/** Runs one case; a failure is logged and recorded, and the run goes on. */
async function tryCase(
  state: RunState,
  name: string,
  request: NexmarkCaseRequest,
): Promise<NexmarkCaseOutcome | undefined> {
  try {
    return await runNexmarkCaseProcess(request);
  } catch (error) {
    const summary = errorSummary(error);
    state.progress.log(`${name}: FAILED: ${summary}`);
    state.errors.push({ caseName: name, summary });
    return undefined;
  }
}

function recordThroughput(samples: SampleSet, name: string, outcome: NexmarkCaseOutcome): string {
  const t = outcome.throughput!;
  samples.add(name, 'events/s', t.events / t.seconds);
  samples.add(name, PER_CORE, t.events / t.cpuSeconds);
  samples.add(name, 'cpu-cores', t.cpuSeconds / t.seconds);
  samples.add(name, 'peak-rss-MB', outcome.maxRssBytes / 1e6);
  if (t.outputs !== undefined) samples.add(name, 'outputs', t.outputs);
  if (t.ingestSeconds !== undefined) samples.add(name, 'ingest-events/s', t.events / t.ingestSeconds);
  if (t.runSeconds !== undefined && t.ingestSeconds !== undefined) {
    samples.add(name, 'query-events/s', t.events / t.runSeconds);
    samples.add(name, 'query-events/s/core', t.events / t.runCpuSeconds!);
  }
  if (t.startMs !== undefined) samples.add(name, 'start-ms', t.startMs);
  if (t.loadSeconds !== undefined) samples.add(name, 'load-s', t.loadSeconds);
  return (
    `${name}: ${k(t.events / t.seconds)} events/s, ${k(t.events / t.cpuSeconds)} events/s/core ` +
    `(${(t.cpuSeconds / t.seconds).toFixed(2)} cores), ${t.outputs === undefined ? 'blackhole' : `${k(t.outputs)} outputs`}, peak RSS ${Math.round(outcome.maxRssBytes / 1e6)} MB` +
    (t.ingestSeconds !== undefined
      ? ` [ingest ${t.ingestSeconds.toFixed(2)} s, query ${t.runSeconds!.toFixed(2)} s]`
      : t.loadSeconds !== undefined
        ? ` [load ${t.loadSeconds.toFixed(2)} s, query ${t.seconds.toFixed(2)} s]`
        : '')
  );
}

async function runThroughput(config: NexmarkBenchConfig, repeats: number, state: RunState): Promise<void> {
  const { samples, progress } = state;
  for (let r = 1; r <= repeats; r++)
    for (const query of config.queries)
      for (const engine of config.engines) {
        if (!hasVersion(engine, query)) continue;
        const name = `${query}-${engine}`;
        const check = config.check && r === 1 && engine !== 'duckdb';
        // A blackhole leaves nothing to check: the check runs apart, with the topic sink, untimed.
        const checkApart = check && separateCheck(config, engine);
        progress.step(
          `repeat ${r}/${repeats}: ${name} (${k(config.eventsFor(query))} events${check && !checkApart ? ', check' : ''})`,
        );
        const outcome = await tryCase(state, name, caseRequest(config, query, engine, check && !checkApart));
        if (outcome !== undefined) progress.log(recordThroughput(samples, name, outcome));
        let checked = outcome?.check;
        if (checkApart) {
          progress.step(`repeat ${r}/${repeats}: ${name} check (topic sink, not timed)`);
          checked = (await tryCase(state, `${name} check`, caseRequest(config, query, engine, true)))?.check;
        }
        if (checked !== undefined) {
          progress.log(`  check: ${checked.summary.split('\n')[0]}`);
          if (!checked.equal) state.differences.push({ caseName: name, summary: checked.summary });
        }
      }
}

async function runLatency(config: NexmarkBenchConfig, repeats: number, state: RunState): Promise<void> {
  const { samples, progress } = state;
  for (let r = 1; r <= repeats; r++)
    for (const query of config.queries) {
      const name = `${query}-rivulet-log`;
      const max = samples.median(name, 'events/s');
      if (max === undefined) continue;
      const rate = Math.max(100, Math.round(Math.min(config.latencyCap, max * config.latencyLoad)));
      progress.step(`latency repeat ${r}/${repeats}: ${name} at ${k(rate)} events/s`);
      const outcome = await tryCase(state, `${name} latency`, {
        case: 'latency',
        query,
        parallelism: config.parallelism,
        commitIntervalMs: config.commitIntervalMs,
        rate,
        seed: config.seed,
        warmupMs: config.latencyWarmupMs(query),
        durationMs: config.latencyDurationMs(query),
        tailMs: config.latencyTailMs(query),
      });
      if (outcome === undefined) continue;
      const l = outcome.latency!;
      if (l.samples === 0) {
        progress.log(`${name} latency: no outputs in the measured span (at ${k(l.inputRate)} events/s)`);
        continue;
      }
      progress.log(
        `${name} latency: p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms over ${k(l.samples)} outputs ` +
          `at ${k(l.inputRate)} events/s`,
      );
      samples.add(name, 'p50-ms', l.p50Ms);
      samples.add(name, 'p99-ms', l.p99Ms);
      samples.add(name, 'p999-ms', l.p999Ms);
      samples.add(name, 'latency-input-events/s', l.inputRate);
      samples.add(name, 'latency-outputs', l.samples);
    }
}

/** A CPU profile of the first query's engine case (main thread), summarised. */
async function runProfile(config: NexmarkBenchConfig, state: RunState): Promise<string[]> {
  const query = config.queries[0]!;
  const engine: EngineName = config.engines.includes('rivulet-memory') ? 'rivulet-memory' : 'rivulet-log';
  const path = join(tmpdir(), `rivulet-nexmark-${query}-${engine}-${process.pid}.cpuprofile`);
  state.progress.step(`cpu profile: ${query}-${engine}`);
  const outcome = await tryCase(
    state,
    `${query}-${engine} profile`,
    caseRequest(config, query, engine, false, path),
  );
  if (outcome === undefined) return [];
  const rows = summarizeProfile(JSON.parse(readFileSync(path, 'utf8')), process.cwd());
  const total = rows.reduce((sum, r) => sum + r.micros, 0);
  return [
    `CPU profile of ${query}-${engine} (main thread, the timed part, ${(total / 1e6).toFixed(2)} s sampled): ${path}`,
    '  self time, top 20 (npx tsx bench/runtime/cpu-profile-summary.ts <file> for more):',
    ...rows
      .slice(0, 20)
      .map(
        (row) =>
          `  ${(row.share * 100).toFixed(1).padStart(5)}%  ${(row.micros / 1000).toFixed(0).padStart(6)} ms  ${row.name}`,
      ),
  ];
}

/** Per-core ratios: the engine cases against every peer of the same query (and log against memory). */
function baselinesFor(
  caseName: string,
  metric: string,
  samples: SampleSet,
): Array<{ name: string; value: number }> {
  if (metric !== PER_CORE) return [];
  const match = /^(q\d+)-(rivulet-memory|rivulet-log)$/.exec(caseName);
  if (match === null) return [];
  const [, query, engine] = match;
  const names = PEERS.map((p) => `${query}-${p}`);
  if (engine === 'rivulet-log') names.unshift(`${query}-rivulet-memory`);
  return samples.medians(names, metric);
}

function notes(config: NexmarkBenchConfig): string[] {
  const sizes = config.queries.map((q) => `${q} ${k(config.eventsFor(q))}`).join(', ');
  return [
    `events: the Nexmark generator (packages/rivulet/src/nexmark), seed ${config.seed}, ${k(config.rate)} events/s of ` +
      `event time, ${config.parallelism} split(s) (= input partitions = the engine's parallelism); per case: ${sizes}`,
    'events/s/core = events / CPU seconds of the case process in the timed part (process.cpuUsage deltas: all its ' +
      'threads, worker threads, GC, libuv and DuckDB threads included); cores = CPU seconds / wall seconds. Every ' +
      'case runs in its own `node --import tsx` child process; peak RSS is its maxRSS at the end of the timed part',
    'rivulet-memory: the query over the in-process nexmarkSource (the generator in the task, as the published runs ' +
      `do), its results to ${config.memorySink === 'blackhole' ? "a blackhole() sink (dropped unencoded, as the published runs' blackhole sinks and the peers' counting sinks; --sink topic writes them)" : 'the JSON topic <query>-out (--sink topic)'}; ` +
      'rivulet-log: the events generated and appended to a durable (fsync) input topic of the embedded log as ' +
      'JSON, then the query over it, its results to the JSON topic <query>-out: both phases timed (ingest-events/s ' +
      'and query-events/s show them apart). Both: createEngine + engine.run(pipeline, { commitIntervalMs: ' +
      `${config.commitIntervalMs}, parallelism: ${config.parallelism} }), exactly-once, timed from the moment run ` +
      'resolved (start-ms: how long it took) until lag 0 with every input read, confirmed one checkpoint later',
    'hand-loop: each query as a hand-written loop over the decoded events (bench/nexmark/query-floors.ts), the ' +
      "engine's semantics (4 s watermark, windows/auctions closing, regular joins), results into a counting sink; " +
      'rxjs: RxJS 7 pipelines (bench/nexmark/rxjs-peers.ts); node-streams: object-mode Readable -> Transform -> ' +
      'Writable (q0-q2). All three pull the events from the generator inside the timed part, in one thread',
    `rxjs versions: ${[...RXJS_QUERIES.keys()].join(', ')}; ${RXJS_MISSING}`,
    'duckdb: the events as JSONL loaded into in-memory DuckDB (load-s, not timed), then the DuckDB oracle SQL of ' +
      'the correctness tests (packages/rivulet/test/nexmark/duckdb/qN.sql) with every window closed ($watermark = ' +
      'the end of time), timed including the conversion of the result rows to JS objects; a batch anchor, not a ' +
      'streaming peer',
    'latency (p50/p99 ms, rivulet-log rows): the query runs on an empty topic while events are produced into it ' +
      `at ${config.latencyLoad * 100}% of the case's measured rivulet-log events/s (at most ${k(config.latencyCap)}), ` +
      'appended every ~1 ms per partition with the record timestamp = the wall clock, from generators whose base ' +
      'time is the start of production and whose rate is that pace; latency = the wall clock when an output is ' +
      'visible to a read-committed consumer - the event time it carries. Outputs are only visible at checkpoints ' +
      `(every ${config.commitIntervalMs} ms, exactly-once), and the windowed queries' outputs carry the window end - 1 ` +
      '(q12: the processing-time window end), so their latency includes the 4 s watermark delay, and for q6 the ' +
      "auction's expiry: reported as measured",
    'ratios: events/s/core of the engine row / the peer (higher is better for the engine). Medians over repeats. ' +
      'The machine is shared and noisy: compare ratios within a run, not absolute numbers across runs',
  ];
}

async function runNexmarkSuite(options: SuiteOptions): Promise<SuiteReport> {
  const argv = process.argv.slice(2);
  const config = nexmarkBenchConfig(options, argv);
  const info = (line: string): void => {
    (config.json ? process.stderr : process.stdout).write(`${line}\n`);
  };
  const samples = new SampleSet();
  const throughputCases = config.queries.reduce(
    (n, q) => n + config.engines.filter((e) => hasVersion(e, q)).length,
    0,
  );
  const latencyCases = config.latency && config.engines.includes('rivulet-log') ? config.queries.length : 0;
  // A smoke run measures once unless --repeat says otherwise (every case is a child process: ~1.5 s each).
  const repeatGiven = argv.some((a) => a === '--repeat' || a.startsWith('--repeat='));
  const repeats = options.quick && !repeatGiven ? 1 : options.repeat;
  const checkCases =
    config.check && separateCheck(config, 'rivulet-memory') && config.engines.includes('rivulet-memory')
      ? config.queries.length
      : 0;
  const total = repeats * (throughputCases + latencyCases) + checkCases + (config.cpuProf ? 1 : 0);
  info(
    `nexmark: ${config.queries.length} queries x ${config.engines.join(', ')}; ${repeats} repeat(s)` +
      `${repeats !== options.repeat ? ' (--quick without --repeat)' : ''}` +
      `${config.check ? ', --check' : ''}; ${total} cases`,
  );
  const state: RunState = {
    samples,
    progress: createProgress(total, options.progress),
    differences: [],
    errors: [],
  };
  let profileLines: string[] = [];
  try {
    await runThroughput(config, repeats, state);
    if (latencyCases > 0) await runLatency(config, repeats, state);
    if (config.cpuProf) profileLines = await runProfile(config, state);
  } finally {
    state.progress.stop();
  }
  const lookup = (c: string, m: string) => samples.median(c, m);
  const bars = evaluateNexmarkBars(lookup, config.queries, (q) => RXJS_QUERIES.has(q));
  const results: BenchResult[] = samples.toResults(SUITE, (c, m) => baselinesFor(c, m, samples));
  info('');
  const failed = new Set(state.errors.map((e) => e.caseName));
  for (const line of nexmarkTable(lookup, config.queries, config.engines, failed)) info(line);
  for (const line of profileLines) info(line);
  const errorLines = state.errors.map((e) => `${e.caseName}: ${e.summary}`);
  if (errorLines.length > 0) info(`\ncases that failed:\n${errorLines.map((l) => `  ${l}`).join('\n')}`);
  // --check: a result that differs from the oracle, or a case that failed, fails the suite.
  if (config.check && (state.differences.length > 0 || state.errors.length > 0))
    throw new Error(
      `--check: ${state.differences.length} case(s) differ from the DuckDB oracle, ${state.errors.length} failed:\n` +
        [...state.differences.map((f) => `${f.caseName}: ${f.summary}`), ...errorLines].join('\n'),
    );
  return {
    results,
    bars,
    notes: [
      ...notes(config),
      ...errorLines.map((l) => `case failed (no result): ${l}`),
      ...(config.check
        ? [
            '--check: every engine, hand-loop, rxjs and node-streams result (first repeat) equals the DuckDB oracle' +
              (separateCheck(config, 'rivulet-memory')
                ? ' (rivulet-memory: checked in a case of its own with the topic sink, not timed)'
                : ''),
          ]
        : []),
    ],
  };
}

export const nexmarkSuite: Suite = {
  name: SUITE,
  description: 'Nexmark q0-q23: engine (in-process / log source) vs hand loop, RxJS, Node streams, DuckDB',
  run: runNexmarkSuite,
};
