import { availableParallelism } from 'node:os';
import type { SinkConnector, SourceConnector } from '../connector/index.ts';
import type { Log } from '../log/index.ts';
import {
  BucketHistogram,
  type Clock,
  DURATION_BUCKETS_MS,
  EngineError,
  isEngineError,
  type Serde,
  systemClock,
} from '../model/index.ts';
import {
  buildTopology,
  nodeLabel,
  nodeStores,
  type Plan,
  planToJson,
  recordKeyFormat,
  type SubTopology,
  type Topology,
  type WindowAggregateNode,
} from '../plan/index.ts';
import { ensureChangelogTopic } from '../state/index.ts';
import {
  CHECKPOINT_TOPIC,
  type Checkpoint,
  checkpointMismatch,
  encodeCheckpoint,
  type OffsetTable,
  readCheckpoints,
  type SourcePositions,
  setOffset,
  type TaskTimeState,
} from './checkpoint.ts';
import {
  type Boundary,
  deadLetterTopics,
  type ErrorPolicies,
  ErrorRouter,
  validatePolicies,
} from './error-policy.ts';
import { codecFor } from './format-codec.ts';
import { generatorEnds } from './generator-input.ts';
import { PartitionedWriter } from './partitioned-writer.ts';
import { moduleUrl, typeScriptLoader } from './pipeline-module.ts';
import { QueryableStore } from './queryable-store.ts';
import { type ConsumerLag, type RunMetrics, runMetrics } from './run-metrics.ts';
import { type DeliverySink, SinkDelivery } from './sink-delivery.ts';
import { type IngestSource, SourceIngest } from './source-ingest.ts';
import type { TaskExecutor } from './task-executor.ts';
import { windowAccumulator } from './task-graph.ts';
import { TaskLoop } from './task-loop.ts';
import {
  type StoreRestoreProgress,
  type TaskAssignment,
  type TaskCut,
  TaskSet,
  type TaskStart,
} from './task-set.ts';
import { WindowQuery } from './window-query.ts';
import { WorkerExecutor } from './worker-executor.ts';
import type { WorkerData } from './worker-protocol.ts';

export interface RunOptions {
  /** 'exactly-once' (default): outputs become visible at checkpoints and are rolled back on a crash. */
  guarantee?: 'exactly-once' | 'at-least-once';
  /** Time between checkpoints (default 100 ms). */
  commitIntervalMs?: number;
  /** Store backend: in memory (restored from changelogs on start) or LMDB under this directory. */
  stateDir?: string;
  /** Processing time for timers and store TTLs; only the system clock with parallelism > 1. */
  clock?: Clock;
  /** Bytes read per input partition and step (default 256 KiB). */
  fetchBytes?: number;
  /**
   * With parallelism 1 (default true): a repartition topic's records go from its writing tasks to its
   * reading tasks in memory (local-exchange.ts: no encoding, append, fetch or decoding), drained within
   * every step, so checkpoints stay exactly-once; the topic is then not written. A run whose readers
   * start behind the topic's end (left there by a run with worker threads) reads it as usual. False:
   * always through the topic.
   */
  localExchange?: boolean;
  /** Per boundary: 'fail' (default), 'skip', or { deadLetter: topic }. */
  errors?: ErrorPolicies;
  /**
   * Worker threads the tasks are spread over (by partition: every task of partition p runs in worker
   * p mod workers), at most one per partition. 1 runs them in this thread. Default: the machine's cores
   * when `module` is set, else 1. More than 1 needs `module`, since a worker builds the pipeline itself.
   */
  parallelism?: number;
  /** The module (path or file URL) whose `exportName` export is this pipeline, for worker threads. */
  module?: string;
  /** The export of `module` holding the pipeline (default 'default'). */
  exportName?: string;
  /**
   * Called while the run starts, as stores replay their changelogs: per store partition, after each
   * replayed batch (from worker threads: at most every 100 ms per store partition, plus the last report,
   * whose `offset` is `upToOffset`). Not called for a store partition with nothing to replay. What it
   * throws is ignored.
   */
  onRestoreProgress?: (progress: StoreRestoreProgress) => void;
}

export interface RunStatus {
  pipeline: string;
  state: 'running' | 'stopped' | 'failed';
  /** Records read from the inputs, as of the last checkpoint. */
  recordsIn: number;
  /** Records in the input partitions (sources and repartition topics) past the last checkpoint. */
  lag: number;
  checkpoints: number;
  /** Worker threads running the tasks (0: they run in the calling thread). */
  workers: number;
  /** Records dropped or dead-lettered by the error policies, per boundary. */
  errors: Record<string, { skipped: number; deadLettered: number }>;
  /** Records that came after all their windows closed, per windowed aggregation (since this run started). */
  late: Record<string, number>;
  /**
   * Entries per store as of the last checkpoint, summed over its partitions (approximate for TTL stores:
   * expired entries count until purged): the size of each operator's state. Global tables' copies are
   * not counted.
   */
  storeEntries: Record<string, number>;
  /**
   * Event time as of the last checkpoint: the watermark of each eventTime node and windowed aggregation,
   * the smallest over its tasks (null: none yet).
   */
  watermarks: Record<string, number | null>;
  lastCheckpointSequence: number;
  /**
   * Source connectors: records read into each ingest topic in this run. Sink connectors: records handed
   * to each in this run (a replay counts again) and `lag`, records committed to its outbox but not yet
   * committed to the sink.
   */
  connectors?: {
    sources: Record<string, { recordsIn: number }>;
    sinks: Record<string, { delivered: number; lag: number }>;
  };
  error?: EngineError;
}

interface ResolvedOptions {
  guarantee: 'exactly-once' | 'at-least-once';
  commitIntervalMs: number;
  stateDir: string | undefined;
  clock: Clock;
  fetchBytes: number;
  localExchange: boolean;
  errors: ErrorPolicies;
  parallelism: number;
  module: string | undefined;
  exportName: string;
  onRestoreProgress: ((progress: StoreRestoreProgress) => void) | undefined;
}

/**
 * Coordinates one pipeline over the embedded log (DESIGN.md §4). It owns the log side: creates the
 * internal topics, returns to the newest checkpoint that matches the data (engine-written partitions
 * truncated to it under exactly-once, store restore offsets and input positions chosen), and starts the
 * tasks, one per (sub-topology, partition), in this thread or spread over worker threads, each group
 * driven by a TaskExecutor. Every commit interval it takes a checkpoint: all executors pause and flush
 * (outputs and store changes appended), the end offsets of every engine-written partition are recorded,
 * the executors resume, the partitions are synced, and one checkpoint record names the cut; only then
 * do readers of the outputs see the new data. Any task error stops every executor and the pipeline
 * (`done` rejects with it, naming the operator, topic, partition and offset).
 */
export class PipelineRunner {
  readonly plan: Plan;
  readonly #log: Log;
  readonly #options: ResolvedOptions;
  #topology: Topology;
  /** groupByKey nodes repartitioned to co-partition their source with the inputs it meets. */
  #coPartitioned = new Set<number>();
  readonly #sinkTopics = new Set<string>();
  readonly #deadLetterTopics: string[];
  readonly #assignments: TaskAssignment[] = [];
  /** Per repartition topic, how many tasks write it. */
  readonly #upstreamTasks = new Map<string, number>();
  #executors: TaskExecutor[] = [];
  #workers = 0;
  /** Input positions and totals as of the last checkpoint. */
  /** Per generator source (by its checkpoint name): each partition's size, Infinity when unbounded. */
  readonly #generatorEnds: Map<string, number[]>;
  #positions: OffsetTable = new Map();
  #cuts: TaskCut[] = [];
  /** Each store partition's changelog position as of the last checkpoint: what queries see. */
  #storePositions: OffsetTable = new Map();
  readonly #queryable = new Map<string, QueryableStore>();
  /** The consumer lag last computed, reported once the log is closed. */
  #lastConsumerLag: ConsumerLag[] = [];
  readonly #checkpointDurations = new BucketHistogram(DURATION_BUCKETS_MS);
  #sequence = 0;
  #checkpoints = 0;
  #state: RunStatus['state'] = 'running';
  #error: EngineError | undefined;
  #stopRequested = false;
  #wakeForStop: (() => void) | undefined;
  #loop: Promise<void> = Promise.resolve();
  /** Source connectors: their ingest topics and splits, resolved at start. */
  readonly #ingestSources: Array<Omit<IngestSource, 'positions'>> = [];
  /** Source connectors' positions in the checkpoint recovered to. */
  #recoveredSources: SourcePositions = new Map();
  #ingest: SourceIngest | undefined;
  #delivery: SinkDelivery | undefined;
  /** Records refused by connectors (too large for the log, refused by a sink), by the error policies. */
  #connectorErrors: ErrorRouter | undefined;
  readonly #connectorDeadLetters = new Map<string, PartitionedWriter>();
  /** Resolved when a checkpoint that started after they were added is durable. */
  #checkpointWaiters: Array<() => void> = [];

  private constructor(log: Log, plan: Plan, options: RunOptions) {
    this.#log = log;
    this.plan = plan;
    this.#options = resolveOptions(options);
    validatePolicies(this.#options.errors);
    this.#deadLetterTopics = deadLetterTopics(this.#options.errors);
    this.#topology = buildTopology(plan);
    this.#generatorEnds = generatorEnds(plan);
  }

  /** Prepares topics, recovers to the last checkpoint, starts the tasks and takes a first checkpoint. */
  static async start(log: Log, plan: Plan, options: RunOptions = {}): Promise<PipelineRunner> {
    const runner = new PipelineRunner(log, plan, options);
    const start = await runner.#prepare();
    // The first checkpoint is the start itself: nothing has been processed, stores restored to it.
    const started = performance.now();
    await runner.#writeCheckpoint(
      [
        {
          inputs: start.inputs,
          stores: start.stores,
          time: [...start.time],
          recordsIn: 0,
          errors: [],
          late: [],
          storeEntries: [],
          operators: [],
          stepLatency: [],
          sinkLatency: [],
        },
      ],
      runner.#endOffsets(),
      runner.#recoveredSources,
    );
    runner.#checkpointDurations.observe(performance.now() - started);
    await runner.#startExecutors(start);
    runner.#startConnectors();
    runner.#loop = runner.#run();
    return runner;
  }

  status(): RunStatus {
    const errors = new Map<Boundary, { skipped: number; deadLettered: number }>();
    let recordsIn = 0;
    const late: Record<string, number> = {};
    const storeEntries: Record<string, number> = {};
    for (const cut of this.#cuts) {
      recordsIn += cut.recordsIn;
      for (const [label, n] of cut.late) late[label] = (late[label] ?? 0) + n;
      for (const [name, n] of cut.storeEntries) storeEntries[name] = (storeEntries[name] ?? 0) + n;
    }
    // The tasks' error counts and those of the connectors (records the log or a sink refused).
    const counts = [...this.#cuts.flatMap((cut) => cut.errors), ...(this.#connectorErrors?.counts ?? [])];
    for (const [boundary, count] of counts) {
      const sum = errors.get(boundary) ?? { skipped: 0, deadLettered: 0 };
      sum.skipped += count.skipped;
      sum.deadLettered += count.deadLettered;
      errors.set(boundary, sum);
    }
    return {
      pipeline: this.plan.pipeline,
      state: this.#state,
      recordsIn,
      lag: this.#lag(),
      checkpoints: this.#checkpoints,
      workers: this.#workers,
      errors: Object.fromEntries(errors),
      late,
      storeEntries,
      watermarks: this.#watermarks(),
      lastCheckpointSequence: this.#sequence,
      ...(this.#ingest === undefined && this.#delivery === undefined
        ? {}
        : { connectors: this.#connectorStatus() }),
      ...(this.#error === undefined ? {} : { error: this.#error }),
    };
  }

  /**
   * The run's counters as of its last checkpoint (run-metrics.ts): per operator and task records in and
   * out, step and sink latency, checkpoint durations, consumer and watermark lag, late, error and store
   * counts. Cheap: it copies what the last cuts reported and reads the input partitions' ends.
   */
  metrics(): RunMetrics {
    return runMetrics({
      status: this.status(),
      time: this.#options.clock.now(),
      cuts: this.#cuts,
      checkpointDuration: this.#checkpointDurations.snapshot(),
      consumerLag: this.#consumerLag(),
    });
  }

  #watermarks(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    const lowest = new Map<string, number>();
    for (const cut of this.#cuts)
      for (const [, state] of cut.time)
        for (const [id, value] of Object.entries(state.operators)) {
          const node = this.plan.nodes[Number(id)];
          if (
            node === undefined ||
            (node.kind !== 'eventTime' &&
              node.kind !== 'windowAggregate' &&
              node.kind !== 'streamStreamJoin' &&
              node.kind !== 'temporalJoin')
          )
            continue;
          const w =
            typeof value !== 'number'
              ? Number.NEGATIVE_INFINITY
              : node.kind === 'eventTime'
                ? value - node.maxOutOfOrderMs
                : value;
          const label = nodeLabel(node);
          lowest.set(label, Math.min(lowest.get(label) ?? Number.POSITIVE_INFINITY, w));
        }
    for (const [label, w] of lowest) out[label] = Number.isFinite(w) ? w : null;
    return out;
  }

  #lag(): number {
    let lag = 0;
    for (const partition of this.#consumerLag()) lag += partition.lag;
    return lag;
  }

  /**
   * Per input partition, its end now minus the position of the last checkpoint (unbounded generator
   * sources have no end and are left out); once the log is closed, what was last computed.
   */
  #consumerLag(): ConsumerLag[] {
    if (this.#log.closed) return this.#lastConsumerLag;
    const out: ConsumerLag[] = [];
    for (const [topic, partitions] of this.#positions) {
      const ends = this.#generatorEnds.get(topic);
      if (ends === undefined && !this.#log.hasTopic(topic)) continue;
      for (const [partition, position] of partitions) {
        const end =
          ends === undefined ? this.#log.partition(topic, partition).highWatermark : (ends[partition] ?? 0);
        if (Number.isFinite(end))
          out.push({ topic, partition, position, end, lag: Math.max(0, end - position) });
      }
    }
    this.#lastConsumerLag = out;
    return out;
  }

  /** Whether the pipeline has a store named `name` (queryable or not). */
  hasStore(name: string): boolean {
    return this.#topology.subTopologies.some((sub) => sub.stores.some((s) => s.name === name));
  }

  /**
   * Read access to the store `name` of this pipeline as of its last checkpoint (queryable-store.ts).
   * Key-value stores only: aggregations, tables and processors' stores (UNKNOWN_STORE otherwise, or for
   * a name the pipeline does not have).
   */
  store<K = unknown, V = unknown>(name: string): QueryableStore<K, V> {
    const existing = this.#queryable.get(name);
    if (existing !== undefined) return existing as QueryableStore<K, V>;
    const spec = this.#topology.subTopologies.flatMap((s) => s.stores).find((s) => s.name === name);
    const owner = this.plan.nodes.find((n) => nodeStores(n).some((st) => st.name === name));
    if (
      spec === undefined ||
      owner === undefined ||
      owner.kind === 'windowAggregate' ||
      owner.kind === 'streamStreamJoin' ||
      owner.kind === 'temporalJoin' ||
      spec.global === true ||
      (owner.kind === 'process' && owner.timerStore.name === name)
    )
      throw new EngineError(
        'UNKNOWN_STORE',
        `pipeline '${this.plan.pipeline}' has no queryable store '${name}' (window, join-buffer and timer stores cannot be queried yet)`,
        { details: { pipeline: this.plan.pipeline, store: name } },
      );
    const store = new QueryableStore<K, V>(
      this.#log,
      spec,
      {
        key: codecFor(spec.keyFormat, this.plan) as Serde<K>,
        value: codecFor(spec.valueFormat, this.plan) as Serde<V>,
      },
      (storeName, partition) => this.#storePositions.get(storeName)?.get(partition),
    );
    this.#queryable.set(name, store as QueryableStore);
    return store;
  }

  /**
   * Window fetch on the windowed aggregation whose store is `name`, as of the last checkpoint
   * (window-query.ts): tumbling, hopping and session windows. UNKNOWN_STORE for another name.
   */
  windows<K = unknown, V = unknown>(name: string): WindowQuery<K, V> {
    const node = this.plan.nodes.find(
      (n): n is WindowAggregateNode => n.kind === 'windowAggregate' && n.store.name === name,
    );
    const spec = this.#topology.subTopologies.flatMap((s) => s.stores).find((s) => s.name === name);
    if (node === undefined || spec === undefined)
      throw new EngineError(
        'UNKNOWN_STORE',
        `pipeline '${this.plan.pipeline}' has no windowed aggregation '${name}'`,
        {
          details: { pipeline: this.plan.pipeline, store: name },
        },
      );
    const store = new QueryableStore<Uint8Array, unknown>(
      this.#log,
      spec,
      {
        key: codecFor(spec.keyFormat, this.plan) as Serde<Uint8Array>,
        value: codecFor(spec.valueFormat, this.plan),
      },
      (storeName, partition) => this.#storePositions.get(storeName)?.get(partition),
    );
    const sub = this.#topology.subTopologies.find((s) => s.nodeIds.includes(node.id))!;
    return new WindowQuery<K, V>(
      store,
      node,
      windowAccumulator(this.plan, node),
      codecFor(recordKeyFormat(this.plan, node.inputs[0]!), this.plan) as Serde<K>,
      (partition) => {
        for (const cut of this.#cuts)
          for (const [task, state] of cut.time)
            if (task === `${sub.id}:${partition}`) {
              const w = state.operators[String(node.id)];
              return typeof w === 'number' ? w : undefined;
            }
        return undefined;
      },
    );
  }

  /** Resolves when the pipeline stops; rejects with the error that stopped it. */
  get done(): Promise<void> {
    return this.#loop;
  }

  /** Stops the tasks after their current step, takes a final checkpoint and closes the stores. */
  async stop(): Promise<void> {
    this.#stopRequested = true;
    this.#wakeForStop?.();
    await this.#loop.catch(() => undefined);
  }

  async #prepare(): Promise<TaskStart> {
    const log = this.#log;
    log.ensureInternalTopic(CHECKPOINT_TOPIC, {
      partitions: 1,
      durability: 'fsync',
      retention: { time: '1d' },
    });
    await this.#prepareSourceConnectors();
    this.#coPartition();
    const taskCounts = this.#taskCounts();
    for (const sub of this.#topology.subTopologies) {
      const tasks = taskCounts.get(sub.id)!;
      for (const r of sub.repartitions) {
        if (!log.hasTopic(r.topic))
          await log.createTopic(r.topic, {
            partitions: this.#readerTaskCount(r.topic, taskCounts) ?? tasks,
            durability: 'none',
          });
      }
      for (const store of sub.stores)
        if (store.global !== true)
          await ensureChangelogTopic(log, store.changelogTopic, { partitions: tasks, durability: 'none' });
      for (const sink of sub.sinks) {
        // Synced at every checkpoint, so appends in between need not wait for fdatasync.
        if (!log.hasTopic(sink.topic))
          await log.createTopic(sink.topic, { partitions: tasks, durability: 'none' });
        this.#sinkTopics.add(sink.topic);
      }
    }
    for (const topic of this.#deadLetterTopics) {
      if (!log.hasTopic(topic)) await log.createTopic(topic, { partitions: 1, durability: 'none' });
      this.#sinkTopics.add(topic);
    }
    for (const sub of this.#topology.subTopologies) {
      for (let p = 0; p < taskCounts.get(sub.id)!; p++)
        this.#assignments.push({ subTopology: sub.id, partition: p });
      for (const r of sub.repartitions) this.#upstreamTasks.set(r.topic, taskCounts.get(sub.id)!);
    }
    return this.#recover();
  }

  /**
   * Asks each source connector for its splits and creates its ingest topic (one partition per split)
   * if it does not exist; a topic kept from an earlier run keeps its count (splits map onto it modulo).
   */
  async #prepareSourceConnectors(): Promise<void> {
    for (const node of this.plan.nodes) {
      if (node.kind !== 'source' || node.connector === undefined) continue;
      const connector = (this.plan.functions.get(node.connector) as unknown as () => SourceConnector)();
      let splits: readonly string[];
      try {
        splits = await connector.splits();
      } catch (error) {
        if (isEngineError(error)) throw error;
        throw new EngineError(
          'CONNECTOR_FAILED',
          `source '${node.name}' (${connector.connector}) could not list its splits: ${(error as Error).message}`,
          { cause: error, details: { source: node.name } },
        );
      }
      if (splits.length === 0 || new Set(splits).size !== splits.length)
        throw new EngineError(
          'CONNECTOR_FAILED',
          `source '${node.name}' (${connector.connector}) must name at least one split, each once; got ${JSON.stringify(splits)}`,
          { retryable: false, details: { source: node.name } },
        );
      if (!this.#log.hasTopic(node.topic))
        await this.#log.createTopic(node.topic, { partitions: splits.length, durability: 'none' });
      this.#ingestSources.push({ name: node.name, topic: node.topic, connector, splits });
    }
  }

  /**
   * Automatic co-partitioning: where a sub-topology reads source topics of different partition counts,
   * each stream source reaching it through `groupByKey` with another count than the sub-topology's (its
   * tables' count, or else the largest) is repartitioned at that groupByKey, to a topic with the reader's
   * count. What cannot be fixed so (tables of different counts, a source without groupByKey) is left to
   * `#taskCounts`, which refuses it (COPARTITION_MISMATCH).
   */
  #coPartition(): void {
    const nodes = this.plan.nodes;
    const partitions = (topic: string): number | undefined =>
      this.#generatorEnds.get(topic)?.length ??
      (this.#log.hasTopic(topic) ? this.#log.topicConfig(topic).partitions : undefined);
    /** The source a node's records come from, following first inputs. */
    const sourceOf = (id: number): number => {
      const node = nodes[id]!;
      return node.kind === 'source' || node.inputs.length === 0 ? id : sourceOf(node.inputs[0]!);
    };
    for (let round = 0; round < nodes.length + 1; round++) {
      let added = false;
      for (const sub of this.#topology.subTopologies) {
        const sources = sub.inputs.filter(
          (i) => i.kind === 'source' && !i.global && partitions(i.topic) !== undefined,
        );
        const counts = sources.map((i) => partitions(i.topic)!);
        if (new Set(counts).size <= 1) continue;
        const tableCounts = sources.filter((i) => i.table).map((i) => partitions(i.topic)!);
        const target = Math.max(...(tableCounts.length > 0 ? tableCounts : counts));
        for (const input of sources) {
          if (input.table || partitions(input.topic) === target) continue;
          const groupByKey = sub.nodeIds.find(
            (id) =>
              nodes[id]!.kind === 'groupByKey' &&
              sourceOf(id) === input.nodeId &&
              !this.#coPartitioned.has(id),
          );
          if (groupByKey === undefined) continue;
          this.#coPartitioned.add(groupByKey);
          added = true;
        }
      }
      if (!added) return;
      this.#topology = buildTopology(this.plan, { repartitionGroupByKey: this.#coPartitioned });
    }
  }

  /** Tasks per sub-topology: the partition count shared by its inputs (repartition topics follow their reader). */
  #taskCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const sub of this.#topology.subTopologies) {
      const sourceCounts = new Set<number>();
      for (const input of sub.inputs) {
        if (input.kind !== 'source') continue;
        const ends = this.#generatorEnds.get(input.topic);
        if (ends !== undefined) {
          sourceCounts.add(ends.length);
          continue;
        }
        if (!this.#log.hasTopic(input.topic)) {
          throw new EngineError(
            'UNKNOWN_TOPIC',
            `pipeline '${this.plan.pipeline}' reads topic '${input.topic}', which does not exist`,
            { details: { topic: input.topic } },
          );
        }
        // Every task reads all of a global table's partitions: its count is not the tasks'.
        if (!input.global) sourceCounts.add(this.#log.topicConfig(input.topic).partitions);
      }
      if (sourceCounts.size > 1) {
        throw new EngineError(
          'COPARTITION_MISMATCH',
          `sub-topology ${sub.id} of '${this.plan.pipeline}' reads ${sub.inputs.map((i) => i.topic).join(', ')}, whose partition counts differ (${[...sourceCounts].join(', ')}); streams met through groupByKey are repartitioned automatically, but tables' topics and other sources are not: give them the same partition count, or keyBy() a stream side`,
          { details: { subTopology: sub.id } },
        );
      }
      const repartitionInput = sub.inputs.find((i) => i.kind === 'repartition');
      const fromRepartition =
        repartitionInput === undefined || !this.#log.hasTopic(repartitionInput.topic)
          ? undefined
          : this.#log.topicConfig(repartitionInput.topic).partitions;
      counts.set(sub.id, [...sourceCounts][0] ?? fromRepartition ?? this.#upstreamCount(sub, counts));
    }
    return counts;
  }

  #upstreamCount(sub: SubTopology, counts: Map<number, number>): number {
    let max = 1;
    for (const input of sub.inputs) {
      const producer = this.#topology.subTopologies.find((s) =>
        s.repartitions.some((r) => r.topic === input.topic),
      );
      if (producer !== undefined) max = Math.max(max, counts.get(producer.id) ?? 1);
    }
    return max;
  }

  #readerTaskCount(topic: string, counts: Map<number, number>): number | undefined {
    const reader = this.#topology.subTopologies.find((s) => s.inputs.some((i) => i.topic === topic));
    return reader === undefined ? undefined : counts.get(reader.id);
  }

  #sub(id: number): SubTopology {
    return this.#topology.subTopologies.find((s) => s.id === id)!;
  }

  /**
   * Returns to the newest checkpoint consistent with the log: truncates what the engine wrote after it
   * (exactly-once), or everything when no checkpoint can be trusted; returns where tasks start.
   */
  async #recover(): Promise<TaskStart> {
    const checkpoints = await readCheckpoints(this.#log, this.plan.pipeline);
    let chosen: Checkpoint | undefined;
    for (let i = checkpoints.length - 1; i >= 0; i--) {
      const mismatch = checkpointMismatch(this.#log, checkpoints[i]!, this.#generatorEnds);
      if (mismatch === undefined) {
        chosen = checkpoints[i];
        break;
      }
      process.emitWarning(
        `checkpoint ${checkpoints[i]!.sequence} of '${this.plan.pipeline}' does not match the log (${mismatch}); trying an older one`,
        { code: 'RIVULET_CHECKPOINT_MISMATCH' },
      );
    }
    const exactlyOnce = this.#options.guarantee === 'exactly-once';
    if (chosen !== undefined && exactlyOnce) {
      for (const [topic, partitions] of chosen.outputs) {
        for (const [p, end] of partitions) {
          const partition = this.#log.partition(topic, p);
          if (partition.highWatermark > end) await partition.truncateTo(end);
        }
      }
    }
    if (chosen === undefined && checkpoints.length > 0 && exactlyOnce) {
      // Nothing can be trusted: rebuild from scratch over the whole input.
      for (const topic of this.#engineWrittenTopics()) {
        if (!this.#log.hasTopic(topic)) continue;
        for (let p = 0; p < this.#log.topicConfig(topic).partitions; p++) {
          const partition = this.#log.partition(topic, p);
          if (partition.highWatermark > partition.logStartOffset)
            await partition.truncateTo(partition.logStartOffset);
        }
      }
    }
    const start: TaskStart = { inputs: new Map(), stores: new Map(), time: chosen?.time ?? new Map() };
    for (const { subTopology, partition } of this.#assignments) {
      const sub = this.#sub(subTopology);
      for (const spec of sub.stores) {
        if (spec.global === true) continue;
        const position =
          chosen?.stores.get(spec.name)?.get(partition) ??
          (chosen === undefined && checkpoints.length === 0
            ? this.#log.partition(spec.changelogTopic, partition).highWatermark
            : 0);
        setOffset(start.stores, spec.name, partition, position);
      }
      for (const input of sub.inputs) {
        if (input.global) continue; // read from its start at every start
        const saved = chosen?.inputs.get(input.topic)?.get(partition);
        setOffset(start.inputs, input.topic, partition, saved ?? this.#startPosition(input.topic, partition));
      }
    }
    if (chosen !== undefined) this.#sequence = chosen.sequence;
    this.#recoveredSources = chosen?.sources ?? new Map();
    if (exactlyOnce) {
      for (const topic of this.#sinkTopics) {
        for (let p = 0; p < this.#log.topicConfig(topic).partitions; p++) {
          const partition = this.#log.partition(topic, p);
          partition.setCommittedOffset(chosen?.outputs.get(topic)?.get(p) ?? partition.highWatermark);
        }
      }
    }
    this.#positions = start.inputs;
    return start;
  }

  #engineWrittenTopics(): string[] {
    return [
      ...this.#sinkTopics,
      ...this.#topology.internalTopics.map((t) => t.topic),
      ...this.#ingestSources.map((s) => s.topic),
    ];
  }

  #startPosition(topic: string, partition: number): number {
    if (this.#generatorEnds.has(topic)) return 0;
    const p = this.#log.partition(topic, partition);
    const source = this.plan.nodes.find((n) => n.kind === 'source' && n.topic === topic);
    if (source?.kind === 'source' && source.startFrom === 'latest') return p.highWatermark;
    return p.logStartOffset;
  }

  async #startExecutors(start: TaskStart): Promise<void> {
    const options = this.#options;
    const partitions = Math.max(...this.#assignments.map((a) => a.partition + 1));
    const workers = Math.min(options.parallelism, partitions);
    if (options.parallelism === 1) {
      const tasks = await TaskSet.create({
        plan: this.plan,
        topology: this.#topology,
        log: this.#log,
        assignments: this.#assignments,
        clock: options.clock,
        fetchBytes: options.fetchBytes,
        stateDir: options.stateDir,
        errors: options.errors,
        upstreamTasks: this.#upstreamTasks,
        localExchange: options.localExchange,
      });
      try {
        await tasks.restore(start, options.onRestoreProgress);
      } catch (error) {
        await tasks.close().catch(() => undefined);
        throw error;
      }
      this.#executors = [new TaskLoop(tasks, options.commitIntervalMs)];
      return;
    }
    const module = moduleUrl(options.module!);
    const entry = new URL(
      import.meta.url.endsWith('.ts') ? './task-worker.ts' : './task-worker.js',
      import.meta.url,
    ).href;
    const loader = typeScriptLoader(entry) ?? typeScriptLoader(module);
    const fingerprint = JSON.stringify(planToJson(this.plan));
    const globalTopics = this.#topology.subTopologies.flatMap((sub) =>
      sub.inputs.filter((i) => i.global).map((i) => i.topic),
    );
    const topics = new Set<string>([...this.#engineWrittenTopics(), ...start.inputs.keys(), ...globalTopics]);
    const topicConfigs = [...topics]
      .filter((t) => this.#log.hasTopic(t))
      .map((t): [string, ReturnType<Log['topicConfig']>] => [t, this.#log.topicConfig(t)]);
    const partitionStates: WorkerData['partitions'] = [];
    for (const [topic, config] of topicConfigs)
      for (let p = 0; p < config.partitions; p++) {
        const partition = this.#log.partition(topic, p);
        partitionStates.push([topic, p, partition.highWatermark, partition.logStartOffset]);
      }
    const starting = Array.from({ length: workers }, (_, w) => {
      const data: WorkerData = {
        entry,
        loader,
        module,
        exportName: options.exportName,
        fingerprint,
        assignments: this.#assignments.filter((a) => a.partition % workers === w),
        start,
        topics: topicConfigs,
        partitions: partitionStates,
        fetchBytes: options.fetchBytes,
        stateDir: options.stateDir,
        errors: options.errors,
        upstreamTasks: [...this.#upstreamTasks],
        repartitionGroupByKey: [...this.#coPartitioned],
        idleWaitMs: options.commitIntervalMs,
        restoreProgress: options.onRestoreProgress !== undefined,
      };
      return WorkerExecutor.start(
        this.#log,
        data,
        `worker ${w} of pipeline '${this.plan.pipeline}'`,
        options.onRestoreProgress,
      );
    });
    const started = await Promise.allSettled(starting);
    this.#executors = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(this.#executors.map((e) => e.terminate()));
      throw failed.reason;
    }
    this.#workers = workers;
  }

  #connectorStatus(): NonNullable<RunStatus['connectors']> {
    const sources: NonNullable<RunStatus['connectors']>['sources'] = {};
    for (const [name, recordsIn] of this.#ingest?.recordsIn() ?? []) sources[name] = { recordsIn };
    const sinks: NonNullable<RunStatus['connectors']>['sinks'] = {};
    const lag = this.#delivery?.lag() ?? new Map<string, number>();
    for (const [name, delivered] of this.#delivery?.delivered() ?? [])
      sinks[name] = { delivered, lag: lag.get(name) ?? 0 };
    return { sources, sinks };
  }

  /** Starts reading source connectors into their ingest topics and delivering outboxes to sink connectors. */
  #startConnectors(): void {
    const sinks: DeliverySink[] = [];
    for (const node of this.plan.nodes)
      if (node.kind === 'sink' && node.connector !== undefined)
        sinks.push({
          name: node.name,
          topic: node.topic,
          connector: (this.plan.functions.get(node.connector) as unknown as () => SinkConnector)(),
        });
    if (this.#ingestSources.length === 0 && sinks.length === 0) return;
    const errors = new ErrorRouter(this.#options.errors, (topic) => {
      let writer = this.#connectorDeadLetters.get(topic);
      if (writer === undefined) {
        writer = new PartitionedWriter(this.#log, topic);
        this.#connectorDeadLetters.set(topic, writer);
      }
      return writer;
    });
    this.#connectorErrors = errors;
    const deadLetters = () => [...this.#connectorDeadLetters.values()];
    const retry = { retryMinMs: 100, retryMaxMs: 5_000 };
    if (this.#ingestSources.length > 0) {
      this.#ingest = new SourceIngest(
        this.#log,
        this.#ingestSources.map((s) => ({
          ...s,
          positions: this.#recoveredSources.get(s.name) ?? new Map<string, string>(),
        })),
        { maxRecords: 1000, pollWaitMs: 100, errors, deadLetters, ...retry },
      );
      this.#ingest.start();
    }
    if (sinks.length > 0) {
      this.#delivery = new SinkDelivery(this.#log, sinks, {
        pipeline: this.plan.pipeline,
        commitIntervalMs: this.#options.commitIntervalMs,
        fetchBytes: this.#options.fetchBytes,
        errors,
        deadLetters,
        afterNextCheckpoint: () =>
          new Promise<void>((resolve) => {
            this.#checkpointWaiters.push(resolve);
          }),
        ...retry,
      });
      this.#delivery.start();
    }
  }

  /** Stops the connectors: after a final checkpoint, sources acknowledge it and sinks drain to it. */
  async #closeConnectors(final: boolean): Promise<void> {
    await Promise.all([this.#ingest?.close(), this.#delivery?.close(final)]);
  }

  async #run(): Promise<void> {
    // Rejects as soon as any executor or connector fails; never resolves otherwise.
    const failure = Promise.race([
      ...this.#executors.map((e) => e.done.then(() => new Promise<never>(() => undefined))),
      ...(this.#ingest === undefined ? [] : [this.#ingest.failed]),
      ...(this.#delivery === undefined ? [] : [this.#delivery.failed]),
    ]);
    failure.catch(() => undefined);
    let checkpoint: Promise<void> | undefined;
    try {
      while (!this.#stopRequested) {
        await Promise.race([this.#sleep(this.#options.commitIntervalMs), failure]);
        if (this.#stopRequested) break;
        checkpoint = this.#checkpoint(false);
        await Promise.race([checkpoint, failure]);
      }
      await Promise.race([this.#checkpoint(true), failure]);
      await Promise.race([this.#closeConnectors(true), failure]);
      this.#state = 'stopped';
    } catch (error) {
      await Promise.all(this.#executors.map((e) => e.terminate()));
      await this.#closeConnectors(false).catch(() => undefined);
      // A checkpoint whose cut was taken before the failure is still valid: let it finish, so that
      // nothing this run started lands after it is reported failed (a restart's recovery reads the log).
      await checkpoint?.catch(() => undefined);
      this.#state = 'failed';
      this.#error = isEngineError(error)
        ? error
        : new EngineError(
            'PIPELINE_FAILED',
            `pipeline '${this.plan.pipeline}' failed: ${(error as Error).message}`,
            { cause: error },
          );
      throw this.#error;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeForStop = done;
    });
  }

  /**
   * Takes a checkpoint: every executor pauses and flushes (a final one stops and closes its stores); the
   * end offsets of the engine-written partitions are recorded; the executors resume; the partitions
   * are synced, the checkpoint record appended, and under exactly-once the sinks' committed offsets
   * moved to the recorded ends.
   */
  async #checkpoint(final: boolean): Promise<void> {
    const started = performance.now();
    const waiters = this.#checkpointWaiters;
    this.#checkpointWaiters = [];
    // Source connectors hold their appends while the cut is taken, so positions match the topics' ends.
    await this.#ingest?.pause();
    const cuts = await Promise.all(this.#executors.map((e) => (final ? e.stop() : e.cut())));
    const outputs = this.#endOffsets();
    const sources = this.#ingest?.positions() ?? this.#recoveredSources;
    if (!final) {
      for (const executor of this.#executors) executor.resume();
      this.#ingest?.resume();
    }
    await this.#writeCheckpoint(cuts, outputs, sources);
    this.#ingest?.commit(sources);
    this.#delivery?.notify();
    for (const resolve of waiters) resolve();
    this.#checkpointDurations.observe(performance.now() - started);
  }

  /** The end offset of every partition the pipeline writes. */
  #endOffsets(): OffsetTable {
    const outputs: OffsetTable = new Map();
    for (const topic of this.#engineWrittenTopics()) {
      if (!this.#log.hasTopic(topic)) continue;
      for (let p = 0; p < this.#log.topicConfig(topic).partitions; p++)
        setOffset(outputs, topic, p, this.#log.partition(topic, p).highWatermark);
    }
    return outputs;
  }

  /** Syncs the partitions up to `outputs`, appends the checkpoint record, publishes the outputs. */
  async #writeCheckpoint(cuts: TaskCut[], outputs: OffsetTable, sources: SourcePositions): Promise<void> {
    const syncs: Array<Promise<void>> = [];
    for (const [topic, partitions] of outputs)
      for (const p of partitions.keys()) syncs.push(this.#log.partition(topic, p).sync());
    await Promise.all(syncs);
    const inputs: OffsetTable = new Map();
    const stores: OffsetTable = new Map();
    const time = new Map<string, TaskTimeState>();
    for (const cut of cuts) {
      for (const [task, state] of cut.time) time.set(task, state);
      for (const [topic, partitions] of cut.inputs)
        for (const [p, offset] of partitions) setOffset(inputs, topic, p, offset);
      for (const [store, partitions] of cut.stores)
        for (const [p, offset] of partitions) setOffset(stores, store, p, offset);
    }
    const checkpoint: Checkpoint = {
      pipeline: this.plan.pipeline,
      sequence: this.#sequence + 1,
      inputs,
      outputs,
      stores,
      time,
      sources,
    };
    await this.#log.append(CHECKPOINT_TOPIC, 0, [
      {
        key: Buffer.from(this.plan.pipeline),
        value: encodeCheckpoint(checkpoint),
        headers: undefined,
        timestamp: this.#options.clock.now(),
      },
    ]);
    this.#sequence = checkpoint.sequence;
    this.#checkpoints++;
    this.#cuts = cuts;
    this.#positions = inputs;
    this.#storePositions = stores;
    this.#lag();
    if (this.#options.guarantee === 'exactly-once') {
      for (const topic of this.#sinkTopics) {
        for (const [p, end] of outputs.get(topic) ?? [])
          this.#log.partition(topic, p).setCommittedOffset(end);
      }
    }
  }
}

function resolveOptions(options: RunOptions): ResolvedOptions {
  const module = options.module;
  const parallelism = options.parallelism ?? (module === undefined ? 1 : availableParallelism());
  if (!Number.isSafeInteger(parallelism) || parallelism < 1) {
    throw new EngineError('INVALID_ARGUMENT', `parallelism must be an integer >= 1, got ${parallelism}`, {
      details: { parallelism },
    });
  }
  const clock = options.clock ?? systemClock;
  if (parallelism > 1) {
    if (module === undefined) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `parallelism ${parallelism} needs the 'module' option: worker threads import the pipeline from it (rivulet run sets it)`,
        { details: { parallelism } },
      );
    }
    if (clock !== systemClock) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        'a custom clock works only with parallelism 1 (worker threads use the system clock)',
        { details: { parallelism } },
      );
    }
  }
  return {
    guarantee: options.guarantee ?? 'exactly-once',
    commitIntervalMs: options.commitIntervalMs ?? 100,
    clock,
    fetchBytes: options.fetchBytes ?? 256 * 1024,
    localExchange: options.localExchange ?? true,
    stateDir: options.stateDir,
    errors: options.errors ?? {},
    parallelism,
    module,
    exportName: options.exportName ?? 'default',
    onRestoreProgress: ignoringErrors(options.onRestoreProgress),
  };
}

/** `callback`, whose throws are ignored (a progress display must not fail a run). */
function ignoringErrors<T>(callback: ((value: T) => void) | undefined): ((value: T) => void) | undefined {
  if (callback === undefined) return undefined;
  return (value) => {
    try {
      callback(value);
    } catch {
      // ignored
    }
  };
}
