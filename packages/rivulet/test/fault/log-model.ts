/**
 * The reference model for crash-failpoints.test.ts: the log as plain arrays per partition, stepped by the
 * same steps the fixture runs (fixtures/failpoint-child.ts), plus plain views of a model and of a real
 * log for comparison. Retention drops whole expired segments, oldest first, at the segment boundaries
 * the explicit rolls made; compaction keeps the latest record per key (a loop) and drops old tombstones.
 */
import type { Log, TopicOptions } from '../../src/log/index.ts';
import { parseDuration } from '../../src/model/index.ts';
import type { Step } from './fixtures/failpoint-child.ts';
import { readPartition } from './log-reader.ts';

export interface ModelRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

interface ModelPartition {
  records: ModelRecord[];
  logStartOffset: number;
  nextOffset: number;
  /** Segment bases from explicit rolls (exact only for topics that never roll by size). */
  bases: number[];
  activeEmpty: boolean;
}

interface ModelTopic {
  cleanup: 'delete' | 'compact';
  retentionMs: number | undefined;
  tombstoneRetentionMs: number;
  /** Small segmentBytes: the log rolls by size too, so `bases` is incomplete. */
  rollsBySize: boolean;
  partitions: ModelPartition[];
}

/** The log as plain arrays; `apply` mirrors each step's documented effect. */
export class LogModel {
  topics = new Map<string, ModelTopic>();
  /** Committed offsets by JSON [group, topic, partition]. */
  offsets = new Map<string, number>();
  now: number;

  constructor(now: number) {
    this.now = now;
  }

  clone(): LogModel {
    const copy = new LogModel(this.now);
    copy.offsets = new Map(this.offsets);
    for (const [name, topic] of this.topics) {
      copy.topics.set(name, {
        ...topic,
        partitions: topic.partitions.map((p) => ({
          ...p,
          records: p.records.slice(),
          bases: p.bases.slice(),
        })),
      });
    }
    return copy;
  }

  apply(step: Step): void {
    switch (step.op) {
      case 'createTopic':
        this.#createTopic(step.topic, step.options);
        return;
      case 'send':
        for (const record of step.records) {
          const p = this.#topic(step.topic).partitions[record.partition]!;
          p.records.push({
            offset: p.nextOffset++,
            key: record.key,
            value: record.value,
            timestamp: record.timestamp,
          });
          p.activeEmpty = false;
        }
        return;
      case 'roll': {
        const p = this.#topic(step.topic).partitions[step.partition]!;
        if (!p.activeEmpty) p.bases.push(p.nextOffset);
        p.activeEmpty = true;
        return;
      }
      case 'setClock':
        this.now = step.ms;
        return;
      case 'maintenance':
        for (const [name, topic] of this.topics) {
          for (const p of topic.partitions) {
            if (topic.cleanup === 'compact') compactModel(name, topic, p, this.now);
            else if (topic.retentionMs !== undefined) retainModel(name, topic, p, this.now);
          }
        }
        return;
      case 'commit':
        for (const o of step.offsets)
          this.offsets.set(JSON.stringify([step.group, o.topic, o.partition]), o.offset);
        return;
    }
  }

  #createTopic(name: string, options: TopicOptions): void {
    const partitions = options.partitions ?? 1;
    this.topics.set(name, {
      cleanup: options.cleanup ?? 'delete',
      retentionMs: options.retention?.time === undefined ? undefined : parseDuration(options.retention.time),
      tombstoneRetentionMs: parseDuration(options.tombstoneRetention ?? '1d'),
      rollsBySize: options.segmentBytes !== undefined && options.segmentBytes < 1024 * 1024,
      partitions: Array.from({ length: partitions }, () => ({
        records: [],
        logStartOffset: 0,
        nextOffset: 0,
        bases: [0],
        activeEmpty: true,
      })),
    });
  }

  #topic(name: string): ModelTopic {
    const topic = this.topics.get(name);
    if (topic === undefined) throw new Error(`model: no topic ${name}`);
    return topic;
  }
}

/** Retention: drop whole sealed segments, oldest first, while their newest record is older than the limit. */
function retainModel(name: string, topic: ModelTopic, p: ModelPartition, now: number): void {
  if (topic.rollsBySize) throw new Error(`model: retention of ${name} needs explicit segment boundaries`);
  let remove = 0;
  while (remove < p.bases.length - 1) {
    const from = p.bases[remove]!;
    const to = p.bases[remove + 1]!;
    let newest = Number.NEGATIVE_INFINITY;
    for (const r of p.records)
      if (r.offset >= from && r.offset < to && r.timestamp > newest) newest = r.timestamp;
    if (!(newest < now - topic.retentionMs!)) break;
    remove++;
  }
  if (remove === 0) return;
  p.logStartOffset = Math.max(p.logStartOffset, p.bases[remove]!);
  p.records = p.records.filter((r) => r.offset >= p.logStartOffset);
  p.bases = p.bases.slice(remove);
}

/** Compaction of a partition whose active segment is empty: the latest record per key, old tombstones dropped. */
function compactModel(name: string, topic: ModelTopic, p: ModelPartition, now: number): void {
  if (!p.activeEmpty) throw new Error(`model: compaction of ${name} needs an empty active segment`);
  const latest = new Map<string | null, number>();
  for (const r of p.records) latest.set(r.key, r.offset);
  const horizon = now - topic.tombstoneRetentionMs;
  p.records = p.records.filter(
    (r) => latest.get(r.key) === r.offset && !(r.value === null && r.timestamp < horizon),
  );
}

// ---------------------------------------------------------------------------------------------------
// Comparing the reopened log with the model

export interface PartitionView {
  logStartOffset: number;
  highWatermark: number;
  records: ModelRecord[];
}

export interface StateView {
  topics: Record<string, PartitionView[] | null>;
  offsets: Record<string, number | null>;
}

export function modelView(
  model: LogModel,
  topics: readonly string[],
  offsetKeys: readonly string[],
): StateView {
  const view: StateView = { topics: {}, offsets: {} };
  for (const name of topics) {
    const topic = model.topics.get(name);
    view.topics[name] =
      topic === undefined
        ? null
        : topic.partitions.map((p) => ({
            logStartOffset: p.logStartOffset,
            highWatermark: p.nextOffset,
            records: p.records,
          }));
  }
  for (const key of offsetKeys) view.offsets[key] = model.offsets.get(key) ?? null;
  return view;
}

export async function logView(
  log: Log,
  topics: readonly string[],
  offsetKeys: readonly string[],
): Promise<StateView> {
  const view: StateView = { topics: {}, offsets: {} };
  for (const name of topics) {
    if (!log.hasTopic(name)) {
      view.topics[name] = null;
      continue;
    }
    const partitions: PartitionView[] = [];
    for (let p = 0; p < log.describeTopic(name).partitions.length; p++) {
      const read = await readPartition(log, name, p, 4096);
      partitions.push({
        logStartOffset: read.logStartOffset,
        highWatermark: read.highWatermark,
        records: read.records,
      });
    }
    view.topics[name] = partitions;
  }
  for (const key of offsetKeys) {
    const [group, topic, partition] = JSON.parse(key) as [string, string, number];
    view.offsets[key] = log.committedOffset(group, topic, partition) ?? null;
  }
  return view;
}

/** A short description of a state for failure messages. */
export function describeView(view: StateView): string {
  const parts: string[] = [];
  for (const [name, partitions] of Object.entries(view.topics)) {
    if (partitions === null) {
      parts.push(`${name}: absent`);
      continue;
    }
    partitions.forEach((p, i) => {
      const offsets = p.records.map((r) => r.offset);
      const shown =
        offsets.length > 12
          ? `${offsets.slice(0, 6).join(',')},...,${offsets.slice(-6).join(',')}`
          : offsets.join(',');
      parts.push(
        `${name}/${i}: start ${p.logStartOffset} hw ${p.highWatermark} ${p.records.length} records [${shown}]`,
      );
    });
  }
  parts.push(`offsets ${JSON.stringify(view.offsets)}`);
  return parts.join('; ');
}
