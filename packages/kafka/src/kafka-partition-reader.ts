import type { Consumer, RecordsBatch } from '@platformatic/kafka';
import {
  type ConnectorRecord,
  EngineError,
  type Headers,
  type SourceBatch,
  type SourceReader,
} from 'rivulet/connector';
import { isConnectionError, kafkaErrorId, toEngineError } from './kafka-errors.ts';
import { KafkaGroupCommitter } from './kafka-group-commit.ts';
import type { KafkaSourceConfig } from './kafka-source.ts';

const CONNECTOR = 'kafka';
/** Batch attribute bits (Kafka record batch v2). */
const TIMESTAMP_LOG_APPEND = 0x08;
const CONTROL_BATCH = 0x20;
/** Errors after which the partition's leader is looked up again and the fetch retried. */
const LEADER_ERRORS = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'NOT_LEADER_FOR_PARTITION',
  'REPLICA_NOT_AVAILABLE',
  'KAFKA_STORAGE_ERROR',
]);
const RETRY_PAUSE_MS = 100;

interface FetchedRecord {
  readonly record: ConnectorRecord;
  readonly offset: number;
}

/** What one fetch did: nothing to report, or a failure `fill` decides about. */
type FetchOutcome = { readonly error?: unknown };

/**
 * Reads one partition by fetching from its leader, one fetch at a time. Ordering: records come in
 * offset order, each once (offsets below the next expected one, as a re-sent batch holds, are dropped).
 * Blocking: `poll` waits at most `maxWaitMs`; a fetch still running when poll returns (timeout or
 * abort) keeps going and its records are kept for the next poll. Read-ahead: only when the buffer is
 * empty is one fetch of at most `maxBytes` issued, so at most one fetch response is held. Failure: a
 * lost connection or a moved leader is retried inside for `reconnectTimeoutMs`, then poll rejects with
 * a retryable CONNECTOR_FAILED; records deleted under the reader (OFFSET_OUT_OF_RANGE) reject with
 * SOURCE_POSITION_INVALID. Ownership: the reader owns its client and closes it in `close`.
 */
export class KafkaPartitionReader implements SourceReader {
  readonly #client: Consumer;
  readonly #config: KafkaSourceConfig;
  readonly #partition: number;
  readonly #topicHeader: Uint8Array;
  readonly #partitionHeader: Uint8Array;
  /** The next offset to fetch; everything before it is buffered or returned. */
  #next: number;
  /** The offset of the last record returned (the position), -1 before any. */
  #position: number;
  #buffer: FetchedRecord[] = [];
  #head = 0;
  #inflight: Promise<FetchOutcome> | undefined;
  #leader: { node: number; topicId: string } | undefined;
  #failingSince: number | undefined;
  #closed = false;
  /** Set with the `groupId` option: publishes committed positions to the group. */
  readonly #group: KafkaGroupCommitter | undefined;

  constructor(
    client: Consumer,
    config: KafkaSourceConfig,
    partition: number,
    next: bigint,
    leader?: { node: number; topicId: string },
  ) {
    if (next > BigInt(Number.MAX_SAFE_INTEGER))
      throw new EngineError('SOURCE_POSITION_INVALID', `kafka: offset ${next} is beyond 2^53`, {
        details: { connector: CONNECTOR, topic: config.topic, partition },
      });
    this.#client = client;
    this.#config = config;
    this.#partition = partition;
    this.#next = Number(next);
    this.#position = this.#next - 1;
    this.#topicHeader = Buffer.from(config.topic);
    this.#group =
      config.groupId === undefined ? undefined : new KafkaGroupCommitter(client, config.topic, partition);
    this.#partitionHeader = Buffer.from(String(partition));
    this.#leader = leader;
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch> {
    if (this.#closed)
      throw new EngineError('CONNECTOR_FAILED', 'kafka: poll on a closed reader', this.#details());
    if (this.#head >= this.#buffer.length) await this.#fill(maxWaitMs, signal);
    const end = Math.min(this.#buffer.length, this.#head + Math.max(0, maxRecords));
    if (end === this.#head) return { records: [], position: String(this.#position) };
    const records: ConnectorRecord[] = new Array(end - this.#head);
    for (let i = this.#head; i < end; i++) records[i - this.#head] = this.#buffer[i]!.record;
    this.#position = this.#buffer[end - 1]!.offset;
    this.#head = end;
    if (this.#head >= this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    }
    return { records, position: String(this.#position) };
  }

  /** Kafka keeps records by retention, not acknowledgement; the engine's checkpoint holds the position. */
  /** Releases nothing (Kafka keeps records by retention); with `groupId`, commits to the group. */
  async commit(position: string): Promise<void> {
    await this.#group?.commit(position);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = [];
    await this.#client.close().catch(() => undefined);
  }

  /** Fetches until records are buffered, `maxWaitMs` passes or `signal` aborts. */
  async #fill(maxWaitMs: number, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + Math.max(0, maxWaitMs);
    while (!this.#closed && this.#head >= this.#buffer.length && !signal?.aborted) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return;
      const started = Date.now();
      if (!this.#inflight) {
        const wait = Math.max(1, Math.min(this.#config.maxFetchWaitMs, remaining));
        this.#inflight = this.#fetch(wait);
      }
      const inflight = this.#inflight;
      const outcome = await raceWithDeadline(inflight, remaining, signal);
      if (outcome === undefined) return; // timed out or aborted: the fetch goes on for the next poll
      this.#inflight = undefined;
      if (outcome.error !== undefined) {
        this.#failed(outcome.error);
        await pause(Math.min(RETRY_PAUSE_MS, Math.max(0, deadline - Date.now())), signal);
      } else if (this.#head >= this.#buffer.length && Date.now() - started < 5) {
        // A broker that answers an empty fetch at once (not honouring max wait) must not spin us.
        await pause(Math.min(20, Math.max(0, deadline - Date.now())), signal);
      }
    }
  }

  /** Decides whether a failed fetch is retried (returns) or fails the reader (throws). */
  #failed(error: unknown): void {
    const id = kafkaErrorId(error);
    if (id === 'OFFSET_OUT_OF_RANGE')
      throw new EngineError(
        'SOURCE_POSITION_INVALID',
        `kafka: offset ${this.#next} of ${this.#config.topic}/${this.#partition} is no longer in the log`,
        { cause: error, details: { ...this.#details().details, offset: this.#next } },
      );
    const transient = isConnectionError(error) || (id !== undefined && LEADER_ERRORS.has(id));
    if (!transient) throw toEngineError(CONNECTOR, 'kafka: fetch failed', error, this.#details().details);
    this.#leader = undefined;
    const now = Date.now();
    this.#failingSince ??= now;
    if (now - this.#failingSince > this.#config.reconnectTimeoutMs)
      throw new EngineError(
        'CONNECTOR_FAILED',
        `kafka: ${this.#config.topic}/${this.#partition} unreachable for ${now - this.#failingSince} ms`,
        { cause: error, details: this.#details().details, retryable: true },
      );
  }

  /** One fetch; its records go to the buffer even if no poll waits for it any more. Never rejects. */
  async #fetch(waitMs: number): Promise<FetchOutcome> {
    try {
      const leader = this.#leader ?? (await this.#lookupLeader());
      const response = await this.#client.fetch({
        node: leader.node,
        maxWaitTime: waitMs,
        minBytes: 1,
        maxBytes: this.#config.maxBytes,
        topics: [
          {
            topicId: leader.topicId,
            partitions: [
              {
                partition: this.#partition,
                currentLeaderEpoch: -1,
                fetchOffset: BigInt(this.#next),
                lastFetchedEpoch: -1,
                partitionMaxBytes: this.#config.maxBytes,
              },
            ],
          },
        ],
      });
      if (this.#closed) return {};
      this.#failingSince = undefined;
      for (const topic of response.responses)
        for (const partition of topic.partitions)
          if (partition.partitionIndex === this.#partition && partition.records)
            this.#decode(partition.records);
      return {};
    } catch (error) {
      return { error };
    }
  }

  async #lookupLeader(): Promise<{ node: number; topicId: string }> {
    const metadata = await this.#client.metadata({ topics: [this.#config.topic], forceUpdate: true });
    const topic = metadata.topics.get(this.#config.topic);
    const partition = topic?.partitions[this.#partition];
    if (!topic || !partition || partition.leader < 0)
      throw Object.assign(new Error('no leader'), { apiId: 'LEADER_NOT_AVAILABLE' });
    this.#leader = { node: partition.leader, topicId: topic.id };
    return this.#leader;
  }

  #decode(batches: readonly RecordsBatch[]): void {
    for (const batch of batches) {
      const base = Number(batch.firstOffset);
      const last = base + batch.lastOffsetDelta;
      if (last < this.#next) continue;
      if ((batch.attributes & CONTROL_BATCH) === 0) {
        const logAppend = (batch.attributes & TIMESTAMP_LOG_APPEND) !== 0;
        const firstTimestamp = Number(batch.firstTimestamp);
        for (const r of batch.records) {
          const offset = base + r.offsetDelta;
          if (offset < this.#next) continue;
          const headers: Headers = new Map();
          for (const [key, value] of r.headers)
            if (key !== null) headers.set(key.toString('utf8'), value ?? EMPTY);
          headers.set('rivulet.source.kafka-topic', this.#topicHeader);
          headers.set('rivulet.source.kafka-partition', this.#partitionHeader);
          headers.set('rivulet.source.kafka-offset', Buffer.from(String(offset)));
          this.#buffer.push({
            offset,
            record: {
              key: r.key,
              value: r.value,
              timestamp: logAppend ? Number(batch.maxTimestamp) : firstTimestamp + Number(r.timestampDelta),
              headers,
            },
          });
          this.#next = offset + 1;
        }
      }
      // Control batches and compacted gaps still move the fetch offset on.
      if (last + 1 > this.#next) this.#next = last + 1;
    }
  }

  #details(): { details: Record<string, unknown> } {
    return { details: { connector: CONNECTOR, topic: this.#config.topic, partition: this.#partition } };
  }
}

const EMPTY = new Uint8Array(0);

/** Resolves with the promise's value, or undefined when `ms` pass or `signal` aborts first. */
function raceWithDeadline<T>(
  promise: Promise<T>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    const done = (value: T | undefined) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => done(undefined);
    const timer = setTimeout(() => done(undefined), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(done, () => done(undefined));
  });
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
