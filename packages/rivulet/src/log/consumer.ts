import { EngineError, isEngineError } from '../model/index.ts';
import type { FetchResult } from './fetch-result.ts';
import type { GroupCoordinator } from './group-coordinator.ts';
import type { Log } from './log.ts';
import type { LogRecord } from './log-record.ts';
import type { TopicPartition, TopicPartitionOffset } from './topic-partition.ts';

/** Where a consumer starts on a partition with no committed offset (Kafka's auto.offset.reset). */
export type StartPosition = 'earliest' | 'latest' | { offset: number } | { timestamp: number };

export interface ConsumerOptions {
  topics: readonly string[];
  /** Consumer group: partitions are shared among the group's members and progress is committed. */
  group?: string;
  from?: StartPosition;
  /** Longest a poll waits for data before returning nothing (default 500 ms). */
  maxWaitMs?: number;
  /** About how many bytes one poll reads per partition (default 1 MiB). */
  maxBytesPerPartition?: number;
  /**
   * 'committed' (default) reads only what the engine has checkpointed in the topics it writes (all of
   * any other topic); 'uncommitted' also reads what it wrote since.
   */
  isolation?: 'committed' | 'uncommitted';
}

/** Records of one partition, in offset order. */
export interface ConsumerBatch {
  topic: string;
  partition: number;
  records: LogRecord[];
  highWatermark: number;
}

interface Assigned extends TopicPartition {
  position: number | undefined;
}

/**
 * Reads topics of the embedded log. Without a group it reads every partition of its topics; with a group
 * it reads the partitions the group assigns it and follows rebalances. `poll()` long-polls; iterating
 * the consumer yields batches until `close()`. Positions advance as batches are returned; `commit()`
 * stores them (the next offset to read) for the group. Delivery is at-least-once across restarts: records
 * returned after the last commit are read again.
 */
export class Consumer implements AsyncIterable<ConsumerBatch> {
  readonly #log: Log;
  readonly #groups: GroupCoordinator;
  readonly #options: ConsumerOptions;
  readonly #memberId: string | undefined;
  #generation = -1;
  #assigned: Assigned[] = [];
  #next = 0;
  #closed = false;
  readonly #abort = new AbortController();

  constructor(log: Log, groups: GroupCoordinator, options: ConsumerOptions) {
    this.#log = log;
    this.#groups = groups;
    this.#options = options;
    if (options.topics.length === 0)
      throw new EngineError('INVALID_ARGUMENT', 'a consumer needs at least one topic');
    if (options.group !== undefined) {
      if (options.group === '') throw new EngineError('INVALID_ARGUMENT', 'group name must not be empty');
      this.#memberId = groups.join(options.group, options.topics).memberId;
      this.#refreshAssignment();
    } else {
      for (const topic of options.topics) {
        const count = log.topicConfig(topic).partitions;
        for (let p = 0; p < count; p++) this.#assigned.push({ topic, partition: p, position: undefined });
      }
    }
  }

  /** The partitions this consumer reads now. */
  assignment(): TopicPartition[] {
    this.#refreshAssignment();
    return this.#assigned.map(({ topic, partition }) => ({ topic, partition }));
  }

  #refreshAssignment(): void {
    const group = this.#options.group;
    if (group === undefined || this.#memberId === undefined) return;
    const { generation, partitions } = this.#groups.assignment(group, this.#memberId);
    if (generation === this.#generation) return;
    const previous = this.#assigned;
    this.#assigned = partitions.map(({ topic, partition }) => ({
      topic,
      partition,
      position: previous.find((a) => a.topic === topic && a.partition === partition)?.position,
    }));
    this.#generation = generation;
  }

  async #startPosition(a: Assigned): Promise<number> {
    const partition = this.#log.partition(a.topic, a.partition);
    const group = this.#options.group;
    const committed =
      group === undefined ? undefined : this.#log.committedOffset(group, a.topic, a.partition);
    if (
      committed !== undefined &&
      committed >= partition.logStartOffset &&
      committed <= partition.highWatermark
    )
      return committed;
    const from = this.#options.from ?? 'latest';
    if (from === 'earliest') return partition.logStartOffset;
    if (from === 'latest') return partition.highWatermark;
    if ('offset' in from) {
      if (!Number.isSafeInteger(from.offset) || from.offset < 0) {
        throw new EngineError('OFFSET_OUT_OF_RANGE', `start offset ${from.offset} is not a valid offset`, {
          details: { offset: from.offset },
        });
      }
      if (from.offset > partition.highWatermark) {
        throw new EngineError(
          'OFFSET_OUT_OF_RANGE',
          `start offset ${from.offset} is past the end of ${a.topic}/${a.partition} (${partition.highWatermark})`,
          {
            details: {
              topic: a.topic,
              partition: a.partition,
              offset: from.offset,
              highWatermark: partition.highWatermark,
            },
          },
        );
      }
      return Math.max(from.offset, partition.logStartOffset);
    }
    return (await partition.offsetForTimestamp(from.timestamp)) ?? partition.highWatermark;
  }

  /** Sets the next offset to read from a partition this consumer is assigned. */
  seek(topic: string, partition: number, offset: number): void {
    this.#refreshAssignment();
    const a = this.#assigned.find((x) => x.topic === topic && x.partition === partition);
    if (a === undefined)
      throw new EngineError('UNKNOWN_PARTITION', `${topic}/${partition} is not assigned to this consumer`);
    a.position = offset;
  }

  /** The next offset this consumer will read from the partition, if known yet. */
  position(topic: string, partition: number): number | undefined {
    return this.#assigned.find((x) => x.topic === topic && x.partition === partition)?.position;
  }

  /**
   * Returns the next batches (at most one per partition, partitions served round-robin), waiting up to
   * `maxWaitMs` when nothing is there. Returns [] on timeout or after close().
   */
  async poll(): Promise<ConsumerBatch[]> {
    const maxWait = this.#options.maxWaitMs ?? 500;
    const deadline = Date.now() + maxWait;
    for (;;) {
      if (this.#closed) return [];
      this.#refreshAssignment();
      const batches: ConsumerBatch[] = [];
      const count = this.#assigned.length;
      for (let i = 0; i < count; i++) {
        const a = this.#assigned[(this.#next + i) % count]!;
        a.position ??= await this.#startPosition(a);
        const partition = this.#log.partition(a.topic, a.partition);
        const isolation = this.#options.isolation ?? 'committed';
        if (a.position >= (isolation === 'committed' ? partition.committedOffset : partition.highWatermark))
          continue;
        let fetched: FetchResult;
        try {
          fetched = await partition.fetch(a.position, this.#options.maxBytesPerPartition, isolation);
        } catch (error) {
          if (isEngineError(error, 'OFFSET_OUT_OF_RANGE') && a.position < partition.logStartOffset) {
            a.position = partition.logStartOffset; // retention removed what we had not read yet
            continue;
          }
          throw error;
        }
        a.position = fetched.nextOffset;
        if (fetched.records.length > 0) {
          batches.push({
            topic: a.topic,
            partition: a.partition,
            records: fetched.records,
            highWatermark: fetched.highWatermark,
          });
        }
      }
      if (count > 0) this.#next = (this.#next + 1) % count;
      if (batches.length > 0) return batches;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      await this.#waitForAny(remaining);
    }
  }

  async #waitForAny(timeoutMs: number): Promise<void> {
    if (this.#assigned.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 50)));
      return;
    }
    const local = new AbortController();
    const onAbort = (): void => local.abort();
    this.#abort.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race(
        this.#assigned.map((a) =>
          this.#log
            .partition(a.topic, a.partition)
            .waitForData(
              a.position ?? 0,
              Math.min(timeoutMs, 100),
              local.signal,
              this.#options.isolation ?? 'committed',
            ),
        ),
      );
    } finally {
      local.abort();
      this.#abort.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Commits the current positions (or the given offsets) for the group; resolves when durable. Throws
   * ILLEGAL_GENERATION after a rebalance took partitions away from this member.
   */
  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    const group = this.#options.group;
    if (group === undefined)
      throw new EngineError('INVALID_ARGUMENT', 'commit needs a consumer created with a group');
    const entries =
      offsets ??
      this.#assigned
        .filter((a) => a.position !== undefined)
        .map((a) => ({ topic: a.topic, partition: a.partition, offset: a.position! }));
    this.#groups.checkCommit(group, this.#memberId!, this.#generation, entries);
    await this.#log.commitOffsets(group, entries);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConsumerBatch> {
    while (!this.#closed) {
      for (const batch of await this.poll()) yield batch;
    }
  }

  /** Leaves the group (its partitions go to the other members) and ends iteration. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    if (this.#options.group !== undefined && this.#memberId !== undefined)
      this.#groups.leave(this.#options.group, this.#memberId);
  }
}
