/**
 * The Nexmark suite's options (`npm run bench -- nexmark [suite options]`, parsed from the suite's own
 * arguments) and sizes.
 */
import { nexmarkQueries } from '../../packages/rivulet/src/nexmark/index.ts';
import { parseCliOptions } from '../cli-options.ts';
import type { SuiteOptions } from '../suite.ts';
import { NODE_STREAMS_QUERIES } from './node-streams-peers.ts';
import { FLOORS } from './query-floors.ts';
import { RXJS_QUERIES } from './rxjs-peers.ts';

export const ENGINES = [
  'rivulet-memory',
  'rivulet-log',
  'hand-loop',
  'rxjs',
  'node-streams',
  'duckdb',
] as const;
export type EngineName = (typeof ENGINES)[number];

export const ALL_QUERIES: readonly string[] = [...nexmarkQueries.keys()];

/** Queries by shape, for latency windows. */
/** Results only when a window closes (10 s of event or processing time). */
const TEN_SECOND_WINDOWS = new Set(['q7', 'q8', 'q12']);
/** Results when a window, session or auction closes, within seconds of event time. */
const CLOSING = new Set(['q5', 'q6', 'q11']);

export interface NexmarkBenchConfig {
  queries: string[];
  /** The engines and peers to run, in table order. */
  engines: EngineName[];
  /** Events per case of `query`. */
  eventsFor(query: string): number;
  /** Events per second of event time (the generator's first-event.rate). */
  rate: number;
  seed: number;
  /** The engine's worker threads (1: its main thread) = generator splits = input partitions. */
  parallelism: number;
  commitIntervalMs: number;
  /** rivulet-memory's sink: a blackhole (default, as the published runs and the peers) or the topic. */
  memorySink: 'topic' | 'blackhole';
  check: boolean;
  latency: boolean;
  /** Latency runs at this fraction of the measured rivulet-log throughput ... */
  latencyLoad: number;
  /** ... but at most this many events/s. */
  latencyCap: number;
  /** Outputs whose time is earlier than this after the start of production are not counted. */
  latencyWarmupMs(query: string): number;
  latencyDurationMs(query: string): number;
  latencyTailMs(query: string): number;
  cpuProf: boolean;
  json: boolean;
}

/** Whether `engine` has a version of `query`. */
export function hasVersion(engine: EngineName, query: string): boolean {
  switch (engine) {
    case 'hand-loop':
      return FLOORS.has(query);
    case 'rxjs':
      return RXJS_QUERIES.has(query);
    case 'node-streams':
      return NODE_STREAMS_QUERIES.has(query);
    default:
      return true;
  }
}

function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got '${raw}'`);
  return n;
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Default events per case, by how fast the engine ran each query here (in-process source, one thread):
 * sized so that one engine case takes a few seconds on the 2-core machine (the log case, which generates
 * and appends the events first, about twice that). q0-q2 get 2,000,000: at about 1M events/s in-process,
 * 500,000 events were half a second of timed work, and the repeats varied by up to 2x.
 */
const DEFAULT_EVENTS: ReadonlyArray<[number, readonly string[]]> = [
  [2_000_000, ['q0', 'q1', 'q2']],
  [500_000, ['q3', 'q8', 'q10', 'q13', 'q14', 'q21', 'q22']],
  [200_000, ['q7', 'q11', 'q12', 'q17']],
  [100_000, ['q4', 'q5', 'q6', 'q9', 'q18']],
  [50_000, ['q15', 'q16', 'q19', 'q20', 'q23']],
];

function defaultEvents(query: string): number {
  return DEFAULT_EVENTS.find(([, queries]) => queries.includes(query))?.[0] ?? 100_000;
}

/** The suite's configuration from its arguments (after the suite's name) and the common options. */
export function nexmarkBenchConfig(
  options: Pick<SuiteOptions, 'quick' | 'scale'>,
  argv: readonly string[],
): NexmarkBenchConfig {
  const cli = parseCliOptions(argv);
  const args = cli.suiteArgs;
  let queries = [...ALL_QUERIES];
  let events: number | undefined;
  let rate = 10_000;
  let parallelism = 1;
  let sources: Array<'memory' | 'log'> | undefined;
  let engines: EngineName[] | undefined;
  let check = false;
  let memorySink: 'topic' | 'blackhole' = 'blackhole';
  let latency = true;
  let cpuProf = false;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = (): string => args[++i]!;
    switch (flag) {
      case '--query': {
        queries = list(value());
        const unknown = queries.filter((q) => !nexmarkQueries.has(q));
        if (unknown.length > 0 || queries.length === 0)
          throw new Error(`--query: unknown ${unknown.join(', ') || 'empty list'} (q0..q23)`);
        break;
      }
      case '--events':
        events = positiveInt(flag, value());
        break;
      case '--rate':
        rate = positiveInt(flag, value());
        break;
      case '--parallelism':
        parallelism = positiveInt(flag, value());
        break;
      case '--source': {
        const raw = list(value());
        if (raw.length === 0 || raw.some((s) => s !== 'memory' && s !== 'log'))
          throw new Error(`--source needs memory, log or memory,log, got '${raw.join(',')}'`);
        sources = raw as Array<'memory' | 'log'>;
        break;
      }
      case '--engines': {
        const raw = list(value());
        const unknown = raw.filter((e) => !(ENGINES as readonly string[]).includes(e));
        if (unknown.length > 0 || raw.length === 0)
          throw new Error(`--engines: unknown ${unknown.join(', ') || 'empty list'} (${ENGINES.join(', ')})`);
        engines = raw as EngineName[];
        break;
      }
      case '--sink': {
        const raw = value();
        if (raw !== 'topic' && raw !== 'blackhole')
          throw new Error(`--sink needs topic or blackhole, got '${raw}'`);
        memorySink = raw;
        break;
      }
      case '--check':
        check = true;
        break;
      case '--no-latency':
        latency = false;
        break;
      case '--cpu-prof':
        cpuProf = true;
        break;
    }
  }
  // Without --source: both engine modes.
  const engineSources = sources ?? ['memory', 'log'];
  const wanted = new Set<EngineName>(engines ?? ENGINES.filter((e) => !e.startsWith('rivulet-')));
  for (const s of engineSources)
    if (engines === undefined || sources !== undefined) wanted.add(`rivulet-${s}`);
  if (sources !== undefined)
    for (const e of wanted)
      if (e.startsWith('rivulet-') && !sources.includes(e.slice(8) as 'memory' | 'log')) wanted.delete(e);
  const ordered = ENGINES.filter((e) => wanted.has(e));
  const scale = options.quick ? 0.04 * options.scale : options.scale;
  const quick = options.quick;
  return {
    queries,
    engines: ordered,
    eventsFor: (query) => events ?? Math.max(1_000, Math.round(defaultEvents(query) * scale)),
    rate,
    seed: 1,
    parallelism,
    commitIntervalMs: 100,
    memorySink,
    check,
    latency,
    latencyLoad: 0.5,
    latencyCap: quick ? 20_000 : 100_000,
    // q11's outputs carry a session's end (its last bid + 10 s): none before 10 s have passed.
    latencyWarmupMs: (query) => (query === 'q11' ? (quick ? 10_500 : 11_000) : quick ? 500 : 1_000),
    latencyDurationMs: (query) => {
      if (TEN_SECOND_WINDOWS.has(query)) return quick ? 10_500 : 20_000;
      if (CLOSING.has(query)) return quick ? 4_000 : 10_000;
      return quick ? 1_000 : 3_000;
    },
    latencyTailMs: (query) =>
      CLOSING.has(query) || (TEN_SECOND_WINDOWS.has(query) && query !== 'q12') ? 5_000 : 1_500,
    cpuProf,
    json: cli.json,
  };
}
