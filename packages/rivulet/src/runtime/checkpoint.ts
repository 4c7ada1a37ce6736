import type { Log } from '../log/index.ts';
import { EngineError } from '../model/index.ts';

/** Offsets per topic and partition. */
export type OffsetTable = Map<string, Map<number, number>>;

/**
 * One consistent cut of a pipeline, taken while no batch is in flight: the next offset to read in every
 * input partition, the end offset of every partition the pipeline wrote (sinks, repartition and
 * changelog topics), and each store's changelog position. Everything it names is durable before the
 * checkpoint record is written; on restart the pipeline returns to exactly this cut.
 */
export interface Checkpoint {
  pipeline: string;
  sequence: number;
  inputs: OffsetTable;
  outputs: OffsetTable;
  stores: Map<string, Map<number, number>>;
  /** Event-time state per task (`<sub-topology>:<partition>`): watermark positions, JSON data. */
  time: Map<string, TaskTimeState>;
  /**
   * Source connectors' positions: per source name, per split, the position after the last record in
   * its ingest topic up to `outputs` (see source-ingest.ts).
   */
  sources: SourcePositions;
}

/** Positions of source connectors: source name -> split -> position. */
export type SourcePositions = Map<string, Map<string, string>>;

/** A task's event-time state: per operator (node id) and per repartition input (topic). */
export interface TaskTimeState {
  operators: Record<string, unknown>;
  inputs: Record<string, unknown>;
}

export const CHECKPOINT_TOPIC = '__checkpoints';

function tableToJson(table: OffsetTable): Array<[string, number, number]> {
  const rows: Array<[string, number, number]> = [];
  for (const [topic, partitions] of table)
    for (const [partition, offset] of partitions) rows.push([topic, partition, offset]);
  return rows;
}

function tableFromJson(rows: unknown): OffsetTable {
  const table: OffsetTable = new Map();
  if (!Array.isArray(rows)) throw new Error('not a table');
  for (const row of rows) {
    const [topic, partition, offset] = row as [unknown, unknown, unknown];
    if (typeof topic !== 'string' || !Number.isSafeInteger(partition) || !Number.isSafeInteger(offset))
      throw new Error(`bad row ${JSON.stringify(row)}`);
    setOffset(table, topic, partition as number, offset as number);
  }
  return table;
}

export function setOffset(table: OffsetTable, topic: string, partition: number, offset: number): void {
  let partitions = table.get(topic);
  if (partitions === undefined) {
    partitions = new Map();
    table.set(topic, partitions);
  }
  partitions.set(partition, offset);
}

export function encodeCheckpoint(checkpoint: Checkpoint): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: 1,
      pipeline: checkpoint.pipeline,
      sequence: checkpoint.sequence,
      inputs: tableToJson(checkpoint.inputs),
      outputs: tableToJson(checkpoint.outputs),
      stores: tableToJson(checkpoint.stores),
      time: [...checkpoint.time],
      sources: [...checkpoint.sources].flatMap(([source, splits]) =>
        [...splits].map(([split, position]) => [source, split, position]),
      ),
    }),
  );
}

function timeFromJson(rows: unknown): Map<string, TaskTimeState> {
  const time = new Map<string, TaskTimeState>();
  if (rows === undefined) return time; // written before event time existed
  if (!Array.isArray(rows)) throw new Error('time is not a table');
  for (const row of rows) {
    const [task, state] = row as [unknown, { operators?: unknown; inputs?: unknown } | null];
    if (typeof task !== 'string' || typeof state !== 'object' || state === null)
      throw new Error(`bad time row ${JSON.stringify(row)}`);
    time.set(task, {
      operators: (state.operators ?? {}) as Record<string, unknown>,
      inputs: (state.inputs ?? {}) as Record<string, unknown>,
    });
  }
  return time;
}

function sourcesFromJson(rows: unknown): SourcePositions {
  const sources: SourcePositions = new Map();
  if (rows === undefined) return sources; // written before source connectors existed
  if (!Array.isArray(rows)) throw new Error('sources is not a table');
  for (const row of rows) {
    const [source, split, position] = row as [unknown, unknown, unknown];
    if (typeof source !== 'string' || typeof split !== 'string' || typeof position !== 'string')
      throw new Error(`bad source row ${JSON.stringify(row)}`);
    let splits = sources.get(source);
    if (splits === undefined) {
      splits = new Map();
      sources.set(source, splits);
    }
    splits.set(split, position);
  }
  return sources;
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  try {
    const data = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    if (data.version !== 1 || typeof data.pipeline !== 'string' || !Number.isSafeInteger(data.sequence))
      throw new Error('bad header');
    return {
      pipeline: data.pipeline,
      sequence: data.sequence as number,
      inputs: tableFromJson(data.inputs),
      outputs: tableFromJson(data.outputs),
      stores: tableFromJson(data.stores),
      time: timeFromJson(data.time),
      sources: sourcesFromJson(data.sources),
    };
  } catch (error) {
    throw new EngineError(
      'CHECKPOINT_CORRUPT',
      `a checkpoint record cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Every checkpoint of `pipeline` still in the checkpoint topic, oldest first. The topic keeps history
 * (retention by time, not compaction) so that recovery can fall back past a checkpoint that does not
 * match the data.
 */
export async function readCheckpoints(log: Log, pipeline: string): Promise<Checkpoint[]> {
  const partition = log.partition(CHECKPOINT_TOPIC, 0);
  const found: Checkpoint[] = [];
  let offset = partition.logStartOffset;
  while (offset < partition.highWatermark) {
    const fetched = await partition.fetch(offset);
    for (const record of fetched.records) {
      if (record.keyString() !== pipeline || record.value === null) continue;
      try {
        found.push(decodeCheckpoint(record.value));
      } catch {
        // An unreadable record is skipped like a checkpoint that does not match the data.
      }
    }
    if (fetched.nextOffset <= offset) break;
    offset = fetched.nextOffset;
  }
  return found;
}

/**
 * Why a checkpoint cannot be trusted against the log as it is now (offsets past the data, or inputs
 * already deleted by retention), or undefined if it is consistent.
 */
export function checkpointMismatch(
  log: Log,
  checkpoint: Checkpoint,
  generatorEnds: ReadonlyMap<string, readonly number[]> = new Map(),
): string | undefined {
  for (const [topic, partitions] of checkpoint.outputs) {
    if (!log.hasTopic(topic)) return `output topic ${topic} is gone`;
    for (const [p, end] of partitions) {
      const hw = log.partition(topic, p).highWatermark;
      if (end > hw) return `${topic}/${p} ends at ${hw}, before the checkpoint's ${end}`;
    }
  }
  for (const [topic, partitions] of checkpoint.inputs) {
    const ends = generatorEnds.get(topic);
    if (ends !== undefined) {
      for (const [p, next] of partitions) {
        const end = ends[p] ?? 0;
        if (next < 0 || next > end) return `generator ${topic}/${p} position ${next} is outside [0, ${end}]`;
      }
      continue;
    }
    if (!log.hasTopic(topic)) return `input topic ${topic} is gone`;
    for (const [p, next] of partitions) {
      const partition = log.partition(topic, p);
      if (next > partition.highWatermark || next < partition.logStartOffset)
        return `input ${topic}/${p} offset ${next} is outside [${partition.logStartOffset}, ${partition.highWatermark}]`;
    }
  }
  return undefined;
}
