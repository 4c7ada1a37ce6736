/**
 * The engine cases: one Nexmark query on Rivulet, its events read from the embedded log (`log`: the
 * events are generated and appended to a durable input topic first, both phases timed) or generated
 * in the task (`memory`: the in-process `nexmarkSource`), the results written to `<query>-out`.
 */
import { createEngine, type Engine, type Log } from '../../packages/rivulet/src/index.ts';
import { nexmarkQueries } from '../../packages/rivulet/src/nexmark/index.ts';
import { readQueryRows } from '../../packages/rivulet/test/nexmark/read-query-rows.ts';
import { makeTempDir } from '../temp-dir.ts';
import { cpuSeconds, type Measured, type Profiler } from './measure.ts';
import {
  appendEvents,
  appendSideInput,
  EVENTS_TOPIC,
  type EventConfig,
  logFinalWatermark,
} from './nexmark-events.ts';
import {
  exportPipelineToWorkers,
  outTopic,
  PIPELINES_MODULE,
  type PipelineSink,
  type PipelineSource,
  queryPipeline,
} from './nexmark-pipelines.ts';
import { ALL_CLOSED, type CheckResult, checkRows, withOracle } from './oracle-check.ts';

export type EngineSource = 'log' | 'memory';

export interface EngineRequest {
  query: string;
  source: EngineSource;
  events: EventConfig;
  parallelism: number;
  commitIntervalMs: number;
  /** The results' sink; a blackhole leaves nothing to count or check. */
  sink: PipelineSink;
  check: boolean;
  /** Write a CPU profile of the timed part here (main thread). */
  profile?: string;
}

export interface EngineSample extends Measured {
  /** Log source: generating the events and appending them to the input topic (part of seconds/cpu). */
  ingestSeconds?: number;
  ingestCpuSeconds?: number;
  /** The query's run, from the moment engine.run resolved until every input was processed and committed. */
  runSeconds: number;
  runCpuSeconds: number;
  /** How long engine.run took (recovery, stores, worker threads starting): not part of the timing. */
  startMs: number;
  checkpoints: number;
}

/** A running pipeline, as engine.run returns it. */
type PipelineRunner = Awaited<ReturnType<Engine['run']>>;

/** How often the drain condition is polled (ms). */
const POLL_MS = 5;
const DRAIN_TIMEOUT_MS = 30 * 60_000;

export function failedError(run: PipelineRunner): Error {
  const status = run.status();
  return status.error ?? new Error(`pipeline ${status.state}`);
}

/**
 * The engine's run options for `query` (worker threads load the pipeline from PIPELINES_MODULE).
 * RIVULET_LOCAL_EXCHANGE=0 sends every repartition through its topic (RunOptions.localExchange), to
 * measure what the in-memory exchange saves.
 */
export function runOptions(query: string, parallelism: number, commitIntervalMs: number) {
  return {
    commitIntervalMs,
    parallelism,
    localExchange: process.env.RIVULET_LOCAL_EXCHANGE !== '0',
    ...(parallelism > 1 ? { module: PIPELINES_MODULE, exportName: query } : {}),
  };
}

/**
 * Waits until every input record was processed and checkpointed: lag 0 with at least `events` records
 * read, still so one checkpoint later (repartition topics and watermarks settled). Returns the moment
 * (performance.now) and CPU time when that state was first seen.
 */
async function waitDrained(run: PipelineRunner, events: number): Promise<{ at: number; cpu: number }> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  let first: { at: number; cpu: number; recordsIn: number; checkpoints: number } | undefined;
  for (;;) {
    const s = run.status();
    if (s.state !== 'running') throw failedError(run);
    if (s.lag === 0 && s.recordsIn >= events) {
      if (first === undefined || first.recordsIn !== s.recordsIn)
        first = {
          at: performance.now(),
          cpu: cpuSeconds(),
          recordsIn: s.recordsIn,
          checkpoints: s.checkpoints,
        };
      else if (s.checkpoints > first.checkpoints) return first;
    } else first = undefined;
    if (performance.now() > deadline) throw new Error('timed out waiting for the pipeline to drain');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function committedOutputs(log: Log, topic: string): number {
  if (!log.hasTopic(topic)) return 0;
  let total = 0;
  for (let p = 0; p < log.topicConfig(topic).partitions; p++)
    total += log.partition(topic, p).committedOffset;
  return total;
}

async function prepareInputs(engine: Engine, request: EngineRequest): Promise<void> {
  if (nexmarkQueries.get(request.query)?.sideInput) await appendSideInput(engine.log);
  if (request.source === 'log')
    await engine.log.createTopic(EVENTS_TOPIC, { partitions: request.events.splits });
}

/**
 * One timed engine case in a fresh data dir. Log source: the events are generated and appended to the
 * input topic (one partition per split, topic durability fsync: the log's default), then the query
 * runs over it; memory source: the query runs over the in-process generator. The run is timed from the
 * moment engine.run resolved until drained (waitDrained), then stopped. With `check`, the results are
 * read back and compared with the DuckDB oracle after the timing.
 */
export async function measureEngine(
  request: EngineRequest,
  profiler?: Profiler,
): Promise<{ sample: EngineSample; check?: CheckResult; maxRssBytes: number }> {
  const dir = makeTempDir('nexmark');
  try {
    const engine = await createEngine({ dataDir: dir.path, maintenanceInterval: false });
    try {
      await prepareInputs(engine, request);
      const source: PipelineSource =
        request.source === 'log' ? { kind: 'log' } : { kind: 'memory', config: request.events };
      if (request.check && request.sink === 'blackhole') throw new Error('--check needs the topic sink');
      const p = queryPipeline(request.query, source, request.sink);
      exportPipelineToWorkers(source, request.sink);
      await profiler?.start();
      let ingestSeconds: number | undefined;
      let ingestCpuSeconds: number | undefined;
      if (request.source === 'log') {
        const t0 = performance.now();
        const c0 = cpuSeconds();
        await appendEvents(engine.log, EVENTS_TOPIC, request.events);
        ingestSeconds = (performance.now() - t0) / 1000;
        ingestCpuSeconds = cpuSeconds() - c0;
      }
      const runCalled = performance.now();
      const run = await engine.run(
        p,
        runOptions(request.query, request.parallelism, request.commitIntervalMs),
      );
      const started = performance.now();
      const cpuStarted = cpuSeconds();
      const drained = await waitDrained(run, request.events.events);
      await profiler?.stop();
      const maxRssBytes = process.resourceUsage().maxRSS * 1024;
      const runSeconds = (drained.at - started) / 1000;
      const runCpuSeconds = drained.cpu - cpuStarted;
      const outputs =
        request.sink === 'topic' ? committedOutputs(engine.log, outTopic(request.query)) : undefined;
      const checkpoints = run.status().checkpoints;
      if (request.check && request.query === 'q12')
        await waitFor(() => (run.status().storeEntries['q12-counts'] ?? 0) === 0, 'q12 windows to close');
      await run.stop();
      const sample: EngineSample = {
        events: request.events.events,
        ...(outputs === undefined ? {} : { outputs }),
        seconds: runSeconds + (ingestSeconds ?? 0),
        cpuSeconds: runCpuSeconds + (ingestCpuSeconds ?? 0),
        ...(ingestSeconds === undefined ? {} : { ingestSeconds, ingestCpuSeconds }),
        runSeconds,
        runCpuSeconds,
        startMs: started - runCalled,
        checkpoints,
      };
      if (!request.check) return { sample, maxRssBytes };
      const output = nexmarkQueries.get(request.query)!.output;
      const rows = await readQueryRows(engine.log, outTopic(request.query), output);
      const watermark = request.source === 'log' ? logFinalWatermark(request.events) : ALL_CLOSED;
      const check = await withOracle(request.events, (oracle) =>
        checkRows(oracle, request.query, rows, watermark),
      );
      return { sample, check, maxRssBytes };
    } finally {
      await engine.close();
    }
  } finally {
    dir.remove();
  }
}
