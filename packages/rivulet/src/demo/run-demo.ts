import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine, EngineError } from '../index.ts';
import { sleep } from '../model/index.ts';
import type { PipelineRunner } from '../runtime/index.ts';
import { findDashboardDir, startServer } from '../server/index.ts';
import { demoPipeline, demoTopics } from './demo-pipeline.ts';
import { type GeneratedVisit, VisitGenerator } from './visit-generator.ts';

export interface DemoOptions {
  /** Visits to produce. Headless (`ui` false): required, the run ends once they are processed. */
  events?: number;
  /** Serve the HTTP API and dashboard and generate until `signal` aborts (default false). */
  ui?: boolean;
  /** With `ui`: visits produced per second of wall time (default 2,000). */
  rate?: number;
  /** The visitor count whose crossings are alerts (default 6,000, about the middle of the traffic). */
  threshold?: number;
  /** Seed of the generated traffic (default 42): the same seed gives the same visits and results. */
  seed?: number;
  /** Data directory of the engine; default a fresh temp directory, deleted at the end. Must be new or empty. */
  dataDir?: string;
  /** With `ui`: the HTTP port (default 0, any free port). */
  port?: number;
  /** With `ui`: the dashboard's built files, served at `/` (default: findDashboardDir()). */
  dashboardDir?: string;
  /** With `ui`: the admin token (default $RIVULET_TOKEN, else a random one). */
  token?: string;
  /** Ends the `ui` run (or a headless run early: it then drains what was produced). */
  signal?: AbortSignal;
  /** Called after every produced batch. */
  onProgress?: (produced: number, total: number | undefined) => void;
  /** With `ui`: called once the server listens; `dashboard` false when no built dashboard was found. */
  onServer?: (server: { url: string; token: string; dashboard: boolean }) => void;
}

/** One crossing of the threshold, as read back from 'visitor-alerts'. */
export interface DemoAlert {
  direction: 'up' | 'down';
  /** The distinct visitors of the window that crossed. */
  value: number;
  /** End of that window (the alert's timestamp + 1). */
  windowEnd: number;
}

export interface DemoSummary {
  seed: number;
  threshold: number;
  /** Visits produced to 'visits'. */
  events: number;
  /** Final window results on 'visitors-last-30m'. */
  windows: number;
  alerts: { up: number; down: number; list: DemoAlert[] };
  /** Visits routed to 'late-visits'. */
  lateRecords: number;
  /** From the pipeline's start until every produced visit was processed and committed. */
  elapsedMs: number;
  eventsPerSecond: number;
  /** The data directory, or null when it was a temp directory (deleted). */
  dataDir: string | null;
}

const BATCH = 1_000;
/**
 * Records the pipeline may have left to read (its lag: sources and repartition topic) before the producer
 * waits. It keeps the pipeline busy while bounding how far the produced event time runs ahead of the
 * watermark the pipeline judges lateness by: at most MAX_BACKLOG + BATCH visits, about 67 minutes of
 * event time at the generator's default low point (1 visit/s). A generated late visit is at least 3 hours
 * old and its windows close 32 minutes after it, so it is late whatever batches the engine reads.
 */
const MAX_BACKLOG = 3 * BATCH;
const POLL_MS = 5;
const DRAIN_TIMEOUT_MS = 10 * 60_000;

/**
 * Runs the S1 demo: an engine on the data directory, the 'visits' topic (2 partitions), the demo
 * pipeline (demo-pipeline.ts, in this thread), and generated visits (visit-generator.ts) produced in
 * batches of 1,000. Headless: produces `events` visits, waits until the pipeline has processed and
 * committed all of them (lag 0 and the output topics unchanged over two checkpoints), stops it (final
 * checkpoint), reads the outputs back and resolves with the summary. With `ui`: starts the HTTP server
 * (`onServer` gets its URL and token), produces at `rate` per second of wall time until `signal` aborts
 * (or `events` are produced, then serves until `signal`), then stops the same way. Rejects with the
 * pipeline's error if it fails; the engine is closed either way.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const ui = options.ui ?? false;
  const total = options.events;
  if (total !== undefined && !(Number.isSafeInteger(total) && total >= 0))
    throw new EngineError('INVALID_ARGUMENT', `events must be a whole number >= 0, got ${total}`);
  if (!ui && total === undefined)
    throw new EngineError('INVALID_ARGUMENT', 'a headless demo needs the number of events');
  const rate = options.rate ?? 2_000;
  if (!(Number.isFinite(rate) && rate > 0))
    throw new EngineError('INVALID_ARGUMENT', `rate must be a number > 0, got ${rate}`);
  const threshold = options.threshold ?? 6_000;
  const seed = options.seed ?? 42;
  const generator = new VisitGenerator({ seed });
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rivulet-demo-'));
  try {
    const engine = await createEngine({ dataDir });
    try {
      if (engine.log.hasTopic(demoTopics.visits))
        throw new EngineError(
          'INVALID_ARGUMENT',
          `the data directory ${dataDir} already has a '${demoTopics.visits}' topic: give the demo a new or empty directory`,
        );
      await engine.log.createTopic(demoTopics.visits, { partitions: generator.config.partitions });
      const started = performance.now();
      const run = await engine.run(demoPipeline(threshold));
      const server = ui ? await serve(engine, options) : undefined;
      let elapsedMs: number;
      try {
        const producer = engine.log.createProducer();
        let produced = 0;
        const send = async (visits: GeneratedVisit[]): Promise<void> => {
          await producer.send(
            demoTopics.visits,
            visits.map((g) => ({
              key: g.visit.visitorId,
              value: JSON.stringify(g.visit),
              partition: g.partition,
            })),
          );
          produced += visits.length;
          options.onProgress?.(produced, total);
        };
        if (ui) {
          const wallStart = performance.now();
          while (options.signal?.aborted !== true && (total === undefined || produced < total)) {
            const due = Math.floor(((performance.now() - wallStart) / 1000) * rate) - produced;
            const n = Math.min(due, BATCH, total === undefined ? BATCH : total - produced);
            if (n > 0 && run.status().lag <= MAX_BACKLOG) await send(generator.take(n));
            else await sleep(20, options.signal);
            failed(run);
          }
          while (options.signal?.aborted !== true) {
            await sleep(200, options.signal);
            failed(run);
          }
        } else {
          while (produced < total! && options.signal?.aborted !== true) {
            while (run.status().lag > MAX_BACKLOG) {
              failed(run);
              await sleep(POLL_MS);
            }
            await send(generator.take(Math.min(BATCH, total! - produced)));
          }
          await drained(engine, run);
        }
        elapsedMs = performance.now() - started;
      } finally {
        await server?.close();
        await run.stop();
      }
      failed(run);
      const visitors = await readTopic(engine, demoTopics.visitors);
      const alertRecords = await readTopic(engine, demoTopics.alerts);
      const late = await readTopic(engine, demoTopics.late);
      const list: DemoAlert[] = alertRecords.map((r) => {
        const alert = r.value as { direction: 'up' | 'down'; value: number };
        return { direction: alert.direction, value: alert.value, windowEnd: r.timestamp + 1 };
      });
      const events = generator.generated;
      return {
        seed,
        threshold,
        events,
        windows: visitors.length,
        alerts: {
          up: list.filter((a) => a.direction === 'up').length,
          down: list.filter((a) => a.direction === 'down').length,
          list,
        },
        lateRecords: late.length,
        elapsedMs: Math.round(elapsedMs),
        eventsPerSecond: elapsedMs > 0 ? Math.round((events / elapsedMs) * 1000) : 0,
        dataDir: ownDir ? null : dataDir,
      };
    } finally {
      await engine.close();
    }
  } finally {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function serve(engine: Engine, options: DemoOptions) {
  const token = options.token ?? process.env.RIVULET_TOKEN ?? randomBytes(32).toString('hex');
  const dashboardDir = options.dashboardDir ?? findDashboardDir();
  const server = await startServer(engine, {
    port: options.port ?? 0,
    token,
    ...(dashboardDir === undefined ? {} : { dashboardDir }),
  });
  options.onServer?.({ url: server.address, token, dashboard: dashboardDir !== undefined });
  return server;
}

/** Throws the pipeline's error once it has failed. */
function failed(run: PipelineRunner): void {
  const status = run.status();
  if (status.state === 'failed')
    throw status.error ?? new EngineError('INTERNAL', `pipeline ${status.pipeline} failed`);
}

/**
 * Resolves once the pipeline has read everything (lag 0 as of a checkpoint) and two more checkpoints
 * changed none of its committed outputs: the watermark records that close the last windows went
 * through the repartition topic and the crossing detector too.
 */
async function drained(engine: Engine, run: PipelineRunner): Promise<void> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  const outputs = [demoTopics.visitors, demoTopics.actions, demoTopics.alerts, demoTopics.late];
  const committed = (): string =>
    outputs
      .flatMap((name) => {
        const partitions = engine.log.hasTopic(name) ? engine.log.topicConfig(name).partitions : 0;
        return Array.from({ length: partitions }, (_, p) => engine.log.partition(name, p).committedOffset);
      })
      .join(',');
  let stableSince: { checkpoint: number; outputs: string } | undefined;
  for (;;) {
    failed(run);
    const status = run.status();
    if (status.lag > 0) stableSince = undefined;
    else if (stableSince === undefined || stableSince.outputs !== committed())
      stableSince = { checkpoint: status.checkpoints, outputs: committed() };
    else if (status.checkpoints >= stableSince.checkpoint + 2) return;
    if (performance.now() > deadline)
      throw new EngineError('INTERNAL', `the demo pipeline did not drain within ${DRAIN_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

/** Every committed record of a topic (JSON values), partition by partition. */
async function readTopic(
  engine: Engine,
  name: string,
): Promise<Array<{ value: unknown; timestamp: number }>> {
  if (!engine.log.hasTopic(name)) return [];
  const consumer = engine.log.createConsumer({ topics: [name], from: 'earliest', maxWaitMs: 0 });
  const out: Array<{ value: unknown; timestamp: number }> = [];
  try {
    for (;;) {
      const batches = await consumer.poll();
      if (batches.length === 0) break;
      for (const b of batches)
        for (const r of b.records)
          out.push({ value: JSON.parse(r.valueString() ?? 'null'), timestamp: r.timestamp });
    }
  } finally {
    consumer.close();
  }
  return out;
}
