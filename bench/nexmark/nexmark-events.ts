import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { EncodableRecord, Log } from '../../packages/rivulet/src/index.ts';
import {
  MergedNexmarkEvents,
  NEXMARK_WATERMARK_DELAY_MS,
  type NexmarkEvent,
  type NexmarkGenerator,
  nexmarkSplits,
} from '../../packages/rivulet/src/nexmark/index.ts';

/** The generator parameters every engine and peer of one case gets: the same events everywhere. */
export interface EventConfig {
  events: number;
  /** Events per second of event time over all splits. */
  rate: number;
  seed: number;
  /** Generator splits (= input partitions = the engine's parallelism): disjoint ids, one timeline. */
  splits: number;
  /** Event time of event number 0 (epoch ms); the generator's default when absent. */
  baseTime?: number;
}

export const EVENTS_TOPIC = 'nexmark-events';
export const SIDE_INPUT_TOPIC = 'nexmark-side-input';
/** q13's side input: key String(i) -> value i. */
export const SIDE_INPUT_ROWS = 10_000;
/** Records per log.append when filling the input topic (~1.1 MB of JSON: one fsync each). */
const APPEND_BATCH = 4000;

function generatorOptions(config: EventConfig) {
  return {
    events: config.events,
    rate: config.rate,
    seed: config.seed,
    splits: config.splits,
    ...(config.baseTime === undefined ? {} : { baseTime: config.baseTime }),
  };
}

/** One generator per split. */
export function splitGenerators(config: EventConfig): NexmarkGenerator[] {
  return nexmarkSplits(generatorOptions(config));
}

/** A pull source of events: `undefined` at the end. */
export interface EventSource {
  next(): NexmarkEvent | undefined;
}

/**
 * All splits' events in one stream, in event-time order (MergedNexmarkEvents, as `rivulet nexmark
 * generate --out` writes them). This is the order the peers process and the oracle's JSONL file records.
 */
export function mergedEvents(config: EventConfig): EventSource {
  return new MergedNexmarkEvents(generatorOptions(config));
}

/**
 * The stream's final event-time watermark when the events are read from the log (one partition per
 * split): the smallest over the partitions of their last event time minus the 4 s delay.
 */
export function logFinalWatermark(config: EventConfig): number {
  let min = Number.POSITIVE_INFINITY;
  for (const g of splitGenerators(config))
    if (g.maxEvents > 0) min = Math.min(min, g.timestampOf(g.maxEvents - 1) - NEXMARK_WATERMARK_DELAY_MS);
  return min;
}

/** Writes the merged events as JSONL (the DuckDB oracle's input). */
export async function writeEventsJsonl(path: string, config: EventConfig): Promise<void> {
  const out = createWriteStream(path);
  const source = mergedEvents(config);
  let chunk: string[] = [];
  for (let e = source.next(); e !== undefined; e = source.next()) {
    chunk.push(JSON.stringify(e));
    if (chunk.length === 1000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  }
  if (chunk.length > 0) out.write(`${chunk.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
}

/** An event as an input record: JSON value, no key, the event time as the record's timestamp. */
export function eventRecord(event: NexmarkEvent, timestamp = event.dateTime): EncodableRecord {
  return { key: null, value: Buffer.from(JSON.stringify(event)), headers: undefined, timestamp };
}

/**
 * Generates the events of every split and appends them to partition k of `topic` (split k), in
 * batches of APPEND_BATCH records, each append awaited (with the topic's durability, fsync by default:
 * one write + fsync per batch). Returns the number of records appended.
 */
export async function appendEvents(log: Log, topic: string, config: EventConfig): Promise<number> {
  let appended = 0;
  const generators = splitGenerators(config);
  for (let k = 0; k < generators.length; k++) {
    const g = generators[k]!;
    while (g.hasNext()) {
      const records: EncodableRecord[] = [];
      while (records.length < APPEND_BATCH && g.hasNext()) records.push(eventRecord(g.next()));
      await log.append(topic, k, records);
      appended += records.length;
    }
  }
  return appended;
}

/** q13's side input topic: 10,000 records key String(i), value i (JSON). */
export async function appendSideInput(log: Log): Promise<void> {
  if (!log.hasTopic(SIDE_INPUT_TOPIC)) await log.createTopic(SIDE_INPUT_TOPIC, { partitions: 1 });
  const records: EncodableRecord[] = [];
  for (let i = 0; i < SIDE_INPUT_ROWS; i++)
    records.push({
      key: Buffer.from(String(i)),
      value: Buffer.from(String(i)),
      headers: undefined,
      timestamp: 0,
    });
  await log.append(SIDE_INPUT_TOPIC, 0, records);
}

/** q13's side input as the peers use it. */
export function sideInputMap(): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < SIDE_INPUT_ROWS; i++) map.set(String(i), i);
  return map;
}
