import { type Clock, EngineError, failpoint } from '../model/index.ts';
import type { Partition } from './partition.ts';
import type { EncodableRecord } from './record-batch.ts';
import type { TopicPartitionOffset } from './topic-partition.ts';

export const OFFSETS_TOPIC = '__consumer_offsets';

/**
 * Committed consumer-group offsets, kept in the compacted internal topic `__consumer_offsets` (one
 * partition, fsync durability) and mirrored in memory. A commit of several partitions is one batch, so
 * after a crash it is there entirely or not at all. The offset committed is the next one to read.
 */
export class OffsetStore {
  readonly #partition: Partition;
  readonly #clock: Clock;
  readonly #offsets = new Map<string, Map<string, Map<number, number>>>();

  private constructor(partition: Partition, clock: Clock) {
    this.#partition = partition;
    this.#clock = clock;
  }

  static async load(partition: Partition, clock: Clock): Promise<OffsetStore> {
    const store = new OffsetStore(partition, clock);
    let offset = partition.logStartOffset;
    while (offset < partition.highWatermark) {
      const fetched = await partition.fetch(offset);
      for (const record of fetched.records) {
        const [group, topic, p] = JSON.parse(record.keyString()!) as [string, string, number];
        const value = record.valueString();
        if (value === null) store.#forget(group, topic, p);
        else store.#remember(group, topic, p, (JSON.parse(value) as { offset: number }).offset);
      }
      if (fetched.nextOffset <= offset) break;
      offset = fetched.nextOffset;
    }
    return store;
  }

  committed(group: string, topic: string, partition: number): number | undefined {
    return this.#offsets.get(group)?.get(topic)?.get(partition);
  }

  groups(): string[] {
    return [...this.#offsets.keys()];
  }

  /** All committed offsets of a group. */
  groupOffsets(group: string): TopicPartitionOffset[] {
    const result: TopicPartitionOffset[] = [];
    for (const [topic, partitions] of this.#offsets.get(group) ?? []) {
      for (const [partition, offset] of partitions) result.push({ topic, partition, offset });
    }
    return result;
  }

  /** Durably records the offsets (one atomic batch); resolves after fsync. */
  async commit(group: string, entries: readonly TopicPartitionOffset[]): Promise<void> {
    if (entries.length === 0) return;
    const now = this.#clock.now();
    const records: EncodableRecord[] = entries.map((e) => {
      if (!Number.isSafeInteger(e.offset) || e.offset < 0) {
        throw new EngineError(
          'INVALID_ARGUMENT',
          `cannot commit offset ${e.offset} for ${e.topic}/${e.partition}`,
        );
      }
      return {
        key: Buffer.from(JSON.stringify([group, e.topic, e.partition])),
        value: Buffer.from(JSON.stringify({ offset: e.offset, committedAt: now })),
        headers: undefined,
        timestamp: now,
      };
    });
    failpoint('log.offset-commit.before-append');
    await this.#partition.append(records);
    failpoint('log.offset-commit.after-append');
    for (const e of entries) this.#remember(group, e.topic, e.partition, e.offset);
  }

  /** Forgets every committed offset of `group` (tombstones). */
  async deleteGroup(group: string): Promise<void> {
    const now = this.#clock.now();
    const records: EncodableRecord[] = this.groupOffsets(group).map((e) => ({
      key: Buffer.from(JSON.stringify([group, e.topic, e.partition])),
      value: null,
      headers: undefined,
      timestamp: now,
    }));
    if (records.length > 0) await this.#partition.append(records);
    this.#offsets.delete(group);
  }

  /** Drops a deleted topic's offsets from memory (its records are compacted away later). */
  forgetTopic(topic: string): void {
    for (const topics of this.#offsets.values()) topics.delete(topic);
  }

  #remember(group: string, topic: string, partition: number, offset: number): void {
    let topics = this.#offsets.get(group);
    if (topics === undefined) {
      topics = new Map();
      this.#offsets.set(group, topics);
    }
    let partitions = topics.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      topics.set(topic, partitions);
    }
    partitions.set(partition, offset);
  }

  #forget(group: string, topic: string, partition: number): void {
    this.#offsets.get(group)?.get(topic)?.delete(partition);
  }
}
