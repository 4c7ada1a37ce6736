import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import {
  createEngine,
  type Engine,
  json as jsonFormat,
  ManualClock,
  pipeline,
  type RunStatus,
  text,
  topic,
} from '../../src/index.ts';
import {
  NEXMARK_WATERMARK_DELAY_MS,
  type NexmarkEvent,
  NexmarkGenerator,
  type NexmarkQuery,
  nexmarkBinary,
  nexmarkBinarySerde,
  nexmarkContext,
  nexmarkSource,
} from '../../src/nexmark/index.ts';
import { readQueryRows } from './read-query-rows.ts';

export const EVENTS_TOPIC = 'nexmark-events';
export const SIDE_INPUT_TOPIC = 'nexmark-side-input';
const APPEND_BATCH = 500;

export interface GeneratedEvents {
  events: NexmarkEvent[];
  /** The last event's dateTime minus the watermark delay: the stream's final watermark (one partition). */
  finalWatermark: number;
}

/** Generates `count` events and writes them as JSONL to `path` (the oracle's input). */
export async function generateEvents(
  path: string,
  options: { seed: number; events: number; rate: number },
): Promise<GeneratedEvents> {
  const generator = new NexmarkGenerator(options);
  const events: NexmarkEvent[] = [];
  const out = createWriteStream(path);
  while (generator.hasNext()) {
    const event = generator.next();
    events.push(event);
    if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { events, finalWatermark: events[events.length - 1]!.dateTime - NEXMARK_WATERMARK_DELAY_MS };
}

/** What a query produced: its rows (append), or its final table flattened into rows (upsert). */
export type QueryRows = Map<string, Array<Record<string, unknown>>>;

export interface RunResult {
  rows: QueryRows;
  /** Start of the processing-time window every record fell in (q12: the clock stood still). */
  processingWindowStart: number;
  status: RunStatus;
}

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

async function append(engine: Engine, topicName: string, records: Array<[string | null, Uint8Array]>) {
  for (let from = 0; from < records.length; from += APPEND_BATCH)
    await engine.log.append(
      topicName,
      0,
      records.slice(from, from + APPEND_BATCH).map(([key, value]) => ({
        key: key === null ? null : Buffer.from(key),
        value,
        headers: undefined,
        timestamp: 0,
      })),
    );
}

async function until(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Where the events come from: the embedded log (a one-partition topic of JSON or binary values, whose stream ends
 * with the watermark 4 s behind its last event), or the generator in-process (`nexmarkSource`, whose end
 * closes every window).
 */
export type EventSource =
  | { kind: 'log'; format: 'json' | 'binary' }
  | { kind: 'memory'; seed: number; rate: number };

/**
 * Runs `queries` as one pipeline over `events` on a fresh embedded log in `dataDir`: the events go to a
 * one-partition topic (JSON values) or are generated in-process again from the same configuration
 * (`source`), and q13's side input goes to a topic of 10,000 records; the pipeline runs
 * in the calling thread on a manual clock that stands still while the input is processed (so every
 * record is in one processing-time window), until every input is read; then the clock moves 10 s on so
 * that processing-time windows close, and the pipeline stops. Returns each query's rows read back from
 * its output topic `<query>-out`.
 */
export async function runNexmarkQueries(
  dataDir: string,
  events: readonly NexmarkEvent[],
  queries: readonly NexmarkQuery[],
  source: EventSource = { kind: 'log', format: 'json' },
): Promise<RunResult> {
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await engine.log.createTopic(EVENTS_TOPIC, { partitions: 1 });
    await engine.log.createTopic(SIDE_INPUT_TOPIC, { partitions: 1 });
    await append(
      engine,
      EVENTS_TOPIC,
      events.map((e) => [
        null,
        source.kind === 'log' && source.format === 'binary' ? nexmarkBinarySerde.encode(e) : json(e),
      ]),
    );
    await append(
      engine,
      SIDE_INPUT_TOPIC,
      Array.from({ length: 10_000 }, (_, i): [string, Uint8Array] => [String(i), json(i)]),
    );
    const p = pipeline('nexmark-oracle');
    const input =
      source.kind === 'log'
        ? p.from(
            'events',
            topic(EVENTS_TOPIC, source.format === 'binary' ? nexmarkBinary() : jsonFormat<NexmarkEvent>()),
          )
        : p.from('events', nexmarkSource({ events: events.length, seed: source.seed, rate: source.rate }));
    const context = nexmarkContext(p, input, () =>
      p.globalTable('side-input', topic(SIDE_INPUT_TOPIC, jsonFormat<number>(), { key: text() })),
    );
    for (const q of queries) q.build(context).to(`${q.name}-sink`, topic(`${q.name}-out`, jsonFormat()));

    const clock = new ManualClock(1_800_000_000_000 + 1234);
    const processingWindowStart = clock.now() - (clock.now() % 10_000);
    const run = await engine.run(p, { clock, commitIntervalMs: 20 });
    // Drained: every event read and nothing left in any input (repartition topics included) at two
    // checkpoints in a row.
    let settled = 0;
    let lastCheckpointRecords = -1;
    await until(() => {
      const s = run.status();
      if (s.state !== 'running') throw new Error(`pipeline ${s.state}: ${String(s.error ?? '')}`);
      const drained = s.lag === 0 && s.recordsIn > 0;
      if (drained && s.recordsIn === lastCheckpointRecords) settled++;
      else settled = 0;
      lastCheckpointRecords = s.recordsIn;
      return settled >= 10;
    }, 'the pipeline to drain');
    if (queries.some((q) => q.name === 'q12')) {
      clock.advance(20_000);
      await until(() => (run.status().storeEntries['q12-counts'] ?? 0) === 0, 'q12 windows to close');
    }
    await run.stop();
    const status = run.status();
    const rows: QueryRows = new Map();
    for (const q of queries) rows.set(q.name, await readQueryRows(engine.log, `${q.name}-out`, q.output));
    return { rows, processingWindowStart, status };
  } finally {
    await engine.close();
  }
}
