import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Clock,
  type Duration,
  EngineError,
  failpoint,
  parseDuration,
  systemClock,
} from '../model/index.ts';
import { fsyncDirectory, writeFileAtomic } from './atomic-file.ts';
import { type CompactionResult, compactPartition } from './compaction.ts';
import { compressionIds } from './compression.ts';
import { Consumer, type ConsumerOptions } from './consumer.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { type DurabilityConfig, type DurabilityOptions, resolveDurability } from './durability.ts';
import type { AppendResult, FetchResult } from './fetch-result.ts';
import { GroupCoordinator } from './group-coordinator.ts';
import type { LogClient } from './log-client.ts';
import { OFFSETS_TOPIC, OffsetStore } from './offset-store.ts';
import { Partition } from './partition.ts';
import type { PartitionConfig } from './partition-config.ts';
import type { PartitionStats } from './partition-stats.ts';
import { Producer, type ProducerOptions } from './producer.ts';
import type { BatchProducer, EncodableRecord } from './record-batch.ts';
import {
  resolveTopicConfig,
  type TopicConfig,
  type TopicOptions,
  validateTopicName,
} from './topic-config.ts';
import type { TopicPartitionOffset } from './topic-partition.ts';

export interface LogOptions {
  dataDir: string;
  /** Default durability of new topics (DurabilityOptions); `fsync` unless set. */
  durability?: DurabilityOptions;
  clock?: Clock;
  /** Segment size at which the active segment rolls (default 128 MiB). */
  segmentBytes?: number;
  /** Bytes of data between sparse index entries (default 4 KiB). */
  indexIntervalBytes?: number;
  /** Largest record, key + value + headers (default 1 MiB). */
  maxRecordBytes?: number;
  /** Largest batch on disk; appends are split below it (default 8 MiB). */
  maxBatchBytes?: number;
  /** How often retention and compaction run in the background; false turns that off (default '30s'). */
  maintenanceInterval?: Duration | false;
}

export interface PartitionDescription {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  sizeBytes: number;
  segments: number;
  failure?: { code: string; message: string };
}

export interface TopicDescription {
  config: TopicConfig;
  partitions: PartitionDescription[];
}

interface TopicState {
  config: TopicConfig;
  dir: string;
  partitions: Partition[];
}

/**
 * The embedded durable log: topics of partitions of segment files under one data directory, which this
 * process locks. Broker-shaped on purpose (topics, partitions, offsets, batches, producers, consumer
 * groups), so the runtime can later run on NATS JetStream or Kafka through the same shape.
 */
export class Log implements LogClient {
  readonly dataDir: string;
  readonly clock: Clock;
  readonly #defaults: {
    durability: DurabilityConfig;
    segmentBytes: number;
    maxRecordBytes: number;
    maxBatchBytes: number;
  };
  readonly #indexIntervalBytes: number;
  readonly #topics = new Map<string, TopicState>();
  readonly #release: () => void;
  readonly #groups: GroupCoordinator;
  #offsets!: OffsetStore;
  #maintenanceTimer: NodeJS.Timeout | undefined;
  #producerIds = { next: 0, limit: 0 };
  #closed = false;

  private constructor(options: LogOptions) {
    this.dataDir = options.dataDir;
    this.clock = options.clock ?? systemClock;
    const maxBatchBytes = options.maxBatchBytes ?? 8 * 1024 * 1024;
    this.#defaults = {
      durability: resolveDurability(options.durability),
      segmentBytes: options.segmentBytes ?? 128 * 1024 * 1024,
      maxRecordBytes: options.maxRecordBytes ?? 1024 * 1024,
      maxBatchBytes,
    };
    this.#indexIntervalBytes = options.indexIntervalBytes ?? 4096;
    this.#release = lockDataDir(this.dataDir);
    this.#groups = new GroupCoordinator((topic) => this.#topic(topic).config.partitions);
  }

  /** Opens (creating if needed) the log in `options.dataDir`, recovering every partition. */
  static async open(options: LogOptions): Promise<Log> {
    const log = new Log(options);
    try {
      log.#loadTopics();
      if (!log.#topics.has(OFFSETS_TOPIC)) {
        log.#createTopicSync(OFFSETS_TOPIC, {
          partitions: 1,
          cleanup: 'compact',
          durability: 'fsync',
          segmentBytes: 16 * 1024 * 1024,
        });
      }
      log.#offsets = await OffsetStore.load(log.#topic(OFFSETS_TOPIC).partitions[0]!, log.clock);
    } catch (error) {
      await log.close();
      throw error;
    }
    const interval = options.maintenanceInterval ?? '30s';
    if (interval !== false) {
      const ms = parseDuration(interval);
      log.#maintenanceTimer = setInterval(() => {
        log.runMaintenance().catch(() => undefined);
      }, ms);
      log.#maintenanceTimer.unref();
    }
    return log;
  }

  get #topicsDir(): string {
    return join(this.dataDir, 'topics');
  }

  #loadTopics(): void {
    mkdirSync(this.#topicsDir, { recursive: true });
    for (const entry of readdirSync(this.#topicsDir)) {
      const dir = join(this.#topicsDir, entry);
      if (entry.startsWith('.')) {
        // An interrupted create or delete: never visible as a topic.
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const configPath = join(dir, 'topic.json');
      let config: TopicConfig;
      try {
        config = JSON.parse(readFileSync(configPath, 'utf8')) as TopicConfig;
      } catch (error) {
        throw new EngineError('LOG_METADATA_CORRUPT', `cannot read ${configPath}`, {
          cause: error,
          details: { path: configPath },
        });
      }
      this.#topics.set(config.name, { config, dir, partitions: this.#openPartitions(config, dir) });
    }
  }

  #openPartitions(config: TopicConfig, dir: string): Partition[] {
    const partitions: Partition[] = [];
    for (let p = 0; p < config.partitions; p++)
      partitions.push(Partition.open(this.#partitionConfig(config, dir, p)));
    return partitions;
  }

  #partitionConfig(config: TopicConfig, dir: string, partition: number): PartitionConfig {
    return {
      topic: config.name,
      partition,
      dir: join(dir, String(partition)),
      clock: this.clock,
      durability: config.durability,
      segmentBytes: config.segmentBytes,
      indexIntervalBytes: this.#indexIntervalBytes,
      maxBatchBytes: this.#defaults.maxBatchBytes,
      maxRecordBytes: config.maxRecordBytes,
      codec: compressionIds.get(config.compression) ?? 0,
      cleanup: config.cleanup,
      retentionMs: config.retentionMs,
      retentionBytes: config.retentionBytes,
      tombstoneRetentionMs: config.tombstoneRetentionMs,
    };
  }

  #check(): void {
    if (this.#closed) throw new EngineError('LOG_CLOSED', `the log at ${this.dataDir} is closed`);
  }

  #topic(name: string): TopicState {
    const topic = this.#topics.get(name);
    if (topic === undefined) {
      throw new EngineError('UNKNOWN_TOPIC', `topic '${name}' does not exist`, { details: { topic: name } });
    }
    return topic;
  }

  /** The partition object; throws UNKNOWN_TOPIC / UNKNOWN_PARTITION. */
  partition(topic: string, partition: number): Partition {
    this.#check();
    const state = this.#topic(topic);
    const p = Number.isInteger(partition) ? state.partitions[partition] : undefined;
    if (p === undefined) {
      throw new EngineError(
        'UNKNOWN_PARTITION',
        `topic '${topic}' has no partition ${partition} (it has ${state.partitions.length})`,
        {
          details: { topic, partition, partitions: state.partitions.length },
        },
      );
    }
    return p;
  }

  /**
   * Creates a topic atomically: its directory is built under a hidden name and renamed into place, so a
   * crash never leaves half a topic. Throws TOPIC_EXISTS, INVALID_TOPIC_NAME, INVALID_ARGUMENT.
   */
  async createTopic(name: string, options: TopicOptions = {}): Promise<TopicConfig> {
    this.#check();
    validateTopicName(name);
    if (name.startsWith('__')) {
      throw new EngineError(
        'INVALID_TOPIC_NAME',
        `topic names starting with '__' are reserved for internal topics`,
        { details: { topic: name } },
      );
    }
    return this.#createTopicSync(name, options);
  }

  /** Creates a topic of the engine's own (name starting with '__') unless it exists; returns its config. */
  ensureInternalTopic(name: string, options: TopicOptions = {}): TopicConfig {
    this.#check();
    if (!name.startsWith('__'))
      throw new EngineError('INVALID_TOPIC_NAME', `internal topic names start with '__', got '${name}'`);
    return this.#topics.get(name)?.config ?? this.#createTopicSync(name, options);
  }

  #createTopicSync(name: string, options: TopicOptions): TopicConfig {
    if (this.#topics.has(name)) {
      throw new EngineError('TOPIC_EXISTS', `topic '${name}' already exists`, { details: { topic: name } });
    }
    const config = resolveTopicConfig(name, options, this.#defaults);
    const temp = join(this.#topicsDir, `.creating-${name}-${process.pid}`);
    rmSync(temp, { recursive: true, force: true });
    mkdirSync(temp, { recursive: true });
    for (let p = 0; p < config.partitions; p++) mkdirSync(join(temp, String(p)));
    writeFileSync(join(temp, 'topic.json'), JSON.stringify(config, null, 2));
    for (let p = 0; p < config.partitions; p++) fsyncDirectory(join(temp, String(p)));
    fsyncDirectory(temp);
    failpoint('log.topic.create.before-rename');
    const dir = join(this.#topicsDir, name);
    renameSync(temp, dir);
    fsyncDirectory(this.#topicsDir);
    this.#topics.set(name, { config, dir, partitions: this.#openPartitions(config, dir) });
    return config;
  }

  /** Deletes a topic and its data; its committed group offsets are forgotten. */
  async deleteTopic(name: string): Promise<void> {
    this.#check();
    if (name === OFFSETS_TOPIC)
      throw new EngineError('INVALID_ARGUMENT', `internal topic ${OFFSETS_TOPIC} cannot be deleted`);
    const topic = this.#topic(name);
    this.#topics.delete(name);
    await Promise.all(topic.partitions.map((p) => p.close()));
    const trash = join(this.#topicsDir, `.deleting-${name}-${process.pid}`);
    renameSync(topic.dir, trash);
    fsyncDirectory(this.#topicsDir);
    rmSync(trash, { recursive: true, force: true });
    this.#offsets.forgetTopic(name);
  }

  /** Topic names, sorted; internal topics (`__...`) only when asked. */
  listTopics(options: { internal?: boolean } = {}): string[] {
    this.#check();
    return [...this.#topics.keys()].filter((t) => options.internal === true || !t.startsWith('__')).sort();
  }

  hasTopic(name: string): boolean {
    return this.#topics.has(name);
  }

  topicConfig(name: string): TopicConfig {
    return this.#topic(name).config;
  }

  describeTopic(name: string): TopicDescription {
    this.#check();
    const topic = this.#topic(name);
    return {
      config: topic.config,
      partitions: topic.partitions.map((p, i) => ({
        partition: i,
        logStartOffset: p.logStartOffset,
        highWatermark: p.highWatermark,
        sizeBytes: p.sizeBytes,
        segments: p.segments.length,
        ...(p.failure === undefined ? {} : { failure: { code: p.failure.code, message: p.failure.message } }),
      })),
    };
  }

  /**
   * Every partition's size, ends and write counters (records and bytes appended, syncs and their
   * durations) since the log was opened, by topic name then partition; internal topics included.
   */
  partitionStats(): PartitionStats[] {
    this.#check();
    return [...this.#topics.keys()]
      .sort()
      .flatMap((name) => this.#topics.get(name)!.partitions.map((p) => p.stats()));
  }

  /** Low-level append of already-normalised records to one partition (see Producer for the usual path). */
  append(
    topic: string,
    partition: number,
    records: readonly EncodableRecord[],
    producer?: BatchProducer,
  ): Promise<AppendResult> {
    try {
      return this.partition(topic, partition).append(records, producer);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Reads from `offset` on (see Partition.fetch). */
  fetch(
    topic: string,
    partition: number,
    offset: number,
    maxBytes?: number,
    isolation?: 'committed' | 'uncommitted',
  ): Promise<FetchResult> {
    try {
      return this.partition(topic, partition).fetch(offset, maxBytes, isolation);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number | null> {
    try {
      return this.partition(topic, partition).offsetForTimestamp(timestamp);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  createProducer(options: ProducerOptions = {}): Producer {
    this.#check();
    return new Producer(this, options);
  }

  createConsumer(options: ConsumerOptions): Consumer {
    this.#check();
    for (const topic of options.topics) this.#topic(topic);
    return new Consumer(this, this.#groups, options);
  }

  /** Allocates a producer id, durable across restarts (blocks of 1000 are reserved at a time). */
  allocateProducerId(): number {
    this.#check();
    if (this.#producerIds.next >= this.#producerIds.limit) {
      const path = join(this.dataDir, 'producer-ids');
      const start = existsSync(path) ? Number(readFileSync(path, 'utf8')) : 0;
      if (!Number.isSafeInteger(start) || start < 0) {
        throw new EngineError('LOG_METADATA_CORRUPT', `${path} does not hold a producer id`, {
          details: { path },
        });
      }
      writeFileAtomic(path, String(start + 1000));
      this.#producerIds = { next: start, limit: start + 1000 };
    }
    return this.#producerIds.next++;
  }

  committedOffset(group: string, topic: string, partition: number): number | undefined {
    return this.#offsets.committed(group, topic, partition);
  }

  groupOffsets(group: string): TopicPartitionOffset[] {
    return this.#offsets.groupOffsets(group);
  }

  listGroups(): string[] {
    return this.#offsets.groups();
  }

  /** Commits offsets for a group outside any membership (admin tools); members commit through Consumer. */
  commitOffsets(group: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.#check();
    for (const o of offsets) this.partition(o.topic, o.partition);
    return this.#offsets.commit(group, offsets);
  }

  /** Applies retention and compaction to every partition once, using the log's clock. */
  async runMaintenance(): Promise<{ segmentsDeleted: number; compactions: CompactionResult[] }> {
    this.#check();
    const now = this.clock.now();
    let segmentsDeleted = 0;
    const compactions: CompactionResult[] = [];
    for (const topic of [...this.#topics.values()]) {
      for (const partition of topic.partitions) {
        if (partition.failure !== undefined) continue;
        if (topic.config.cleanup === 'compact') compactions.push(await compactPartition(partition, now));
        else segmentsDeleted += await partition.applyRetention(now);
      }
    }
    return { segmentsDeleted, compactions };
  }

  /** Finishes queued appends, seals nothing new, fsyncs and releases the data directory. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#maintenanceTimer);
    for (const topic of this.#topics.values()) await Promise.all(topic.partitions.map((p) => p.close()));
    this.#release();
  }

  get closed(): boolean {
    return this.#closed;
  }
}

/** Opens the embedded log at `options.dataDir`. */
export function createLog(options: LogOptions): Promise<Log> {
  return Log.open(options);
}
