import { partitionForKey } from '../model/index.ts';
import type { RecordSource } from './error-policy.ts';
import { StreamRecord } from './stream-record.ts';

/** A watermark of the writing task `source`, in line after the records it wrote before it. */
export interface ExchangeWatermark {
  watermark: number;
  idle: boolean;
  source: number;
}

/** The input partition the records after it were read from (for dead letters' context), on change. */
export interface ExchangeSource {
  readFrom: RecordSource;
}

export type ExchangeEntry = StreamRecord | ExchangeWatermark | ExchangeSource;

export function isExchangeRecord(entry: ExchangeEntry): entry is StreamRecord {
  return entry instanceof StreamRecord;
}

export function isExchangeSource(entry: ExchangeEntry): entry is ExchangeSource {
  return 'readFrom' in entry;
}

const EMPTY: readonly ExchangeEntry[] = Object.freeze([]);

/**
 * A repartition topic whose writing and reading tasks all run in one thread, exchanged in memory: the
 * writers' repartition sinks push records (decoded, as they are: no encoding, append, fetch or
 * decoding) and watermarks into one queue per partition, chosen as the topic's writer would (murmur2
 * of the key bytes; unkeyed records round-robin), and the reading task of each partition takes its
 * queue. Ordering: per partition, entries come out in the order they were pushed, so each writer's
 * records and watermarks keep their order, as in the topic.
 *
 * Ownership: a pushed record belongs to the exchange, then to the reader that takes it; its value is
 * the writer's object (downstream code must not mutate values it receives, as within a task).
 * Exactly-once: the exchange holds records only within one step of the thread's TaskSet, which drains
 * every queue before the step ends and before a checkpoint cut, so a cut never has records in flight
 * here and the topic itself is never written (its offsets, and the readers' positions, stay put).
 */
export class LocalExchange {
  readonly topic: string;
  readonly partitions: number;
  readonly #queues: ExchangeEntry[][];
  #next = 0;
  #pending = 0;
  /** Per partition, the source of the last record queued (a marker is queued when it changes). */
  readonly #sources: Array<RecordSource | undefined>;

  constructor(topic: string, partitions: number) {
    this.topic = topic;
    this.partitions = partitions;
    this.#queues = Array.from({ length: partitions }, () => []);
    this.#sources = new Array(partitions).fill(undefined);
  }

  /** Entries pushed and not yet taken. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Queues `record` for the partition its encoded key hashes to (round-robin without a key); `source`
   * is the input partition it was read from, for the context of a dead letter downstream.
   */
  push(key: Uint8Array | null, record: StreamRecord, source: RecordSource | undefined): void {
    const partition = key === null ? this.#next++ % this.partitions : partitionForKey(key, this.partitions);
    const queue = this.#queues[partition]!;
    const last = this.#sources[partition];
    if (
      source !== undefined &&
      (last === undefined || last.topic !== source.topic || last.partition !== source.partition)
    ) {
      this.#sources[partition] = source;
      queue.push({ readFrom: source });
      this.#pending++;
    }
    queue.push(record);
    this.#pending++;
  }

  /** Queues the watermark of task `source` for every partition, after what it pushed so far. */
  watermark(watermark: number, idle: boolean, source: number): void {
    for (const queue of this.#queues) queue.push({ watermark, idle, source });
    this.#pending += this.partitions;
  }

  /** Takes every entry queued for `partition`, oldest first. */
  take(partition: number): readonly ExchangeEntry[] {
    const queue = this.#queues[partition]!;
    if (queue.length === 0) return EMPTY;
    this.#queues[partition] = [];
    this.#pending -= queue.length;
    return queue;
  }
}
