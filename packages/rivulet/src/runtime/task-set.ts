import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { FetchResult, LogClient, PartitionClient } from '../log/index.ts';
import {
  BucketHistogram,
  type Clock,
  DURATION_BUCKETS_MS,
  EngineError,
  isEngineError,
  type Serde,
} from '../model/index.ts';
import type { Plan, SourceNode, SubTopology, Topology } from '../plan/index.ts';
import { createKeyValueStore, type KeyValueStore, type RestoreProgress } from '../state/index.ts';
import type { TaskTimeState } from './checkpoint.ts';
import { type OffsetTable, setOffset } from './checkpoint.ts';
import { CombinedWatermark } from './combined-watermark.ts';
import { type Boundary, type ErrorPolicies, ErrorRouter } from './error-policy.ts';
import { codecFor } from './format-codec.ts';
import { END_OF_INPUT_WATERMARK, GeneratorInput } from './generator-input.ts';
import { isExchangeRecord, isExchangeSource, LocalExchange } from './local-exchange.ts';
import type { WindowStateStore } from './operators/window-operator.ts';
import { PartitionedWriter } from './partitioned-writer.ts';
import type { OperatorMetrics, SinkLatency, StepLatency } from './run-metrics.ts';
import { StreamRecord } from './stream-record.ts';
import { buildTaskGraph, type TaskGraph, type TaskInput } from './task-graph.ts';
import { type RangeStore, TimerStore } from './timer-store.ts';
import { readWatermark } from './watermark-record.ts';

/** Decoded values a built-in aggregation's store keeps between checkpoints (per task and store). */
const OBJECT_CACHE_ENTRIES = 200_000;

/** The generator source whose positions go by `topic` in checkpoints, if that is one. */
function generatorSourceOf(plan: Plan, topic: string): SourceNode | undefined {
  for (const node of plan.nodes)
    if (node.kind === 'source' && node.generator !== undefined && node.topic === topic) return node;
  return undefined;
}

/** A task's id in checkpoints: `<sub-topology>:<partition>`. */
function taskId(task: { sub: SubTopology; partition: number }): string {
  return `${task.sub.id}:${task.partition}`;
}

/** One task: a sub-topology on one partition. */
export interface TaskAssignment {
  subTopology: number;
  partition: number;
}

/** A store partition's restore progress (RestoreProgress with the task's partition). */
export interface StoreRestoreProgress extends RestoreProgress {
  readonly partition: number;
}

/**
 * Where tasks start: the next offset per input partition, the changelog offset each store restores to,
 * and the event-time state per task (`<sub-topology>:<partition>`; absent = none yet).
 */
export interface TaskStart {
  inputs: OffsetTable;
  stores: OffsetTable;
  time: Map<string, TaskTimeState>;
}

/**
 * What a set of tasks reports at a checkpoint cut, taken while none of its batches is in flight and
 * after its outputs and store changes were appended: the next input offsets, the store positions, and
 * its running totals and metrics (plain data: a cut crosses postMessage from a worker).
 */
export interface TaskCut {
  inputs: OffsetTable;
  stores: OffsetTable;
  time: Array<[string, TaskTimeState]>;
  recordsIn: number;
  errors: Array<[Boundary, { skipped: number; deadLettered: number }]>;
  /** Late records per windowed aggregation (label), summed over the set's tasks. */
  late: Array<[string, number]>;
  /** Entries per store as the cut flushed them (approximate for TTL stores), summed over the set's tasks. */
  storeEntries: Array<[string, number]>;
  /** Records in and out per operator and task since the set started. */
  operators: OperatorMetrics[];
  /** Per task, the processing time of its steps. */
  stepLatency: StepLatency[];
  /** Per user-topic sink and task, the end-to-end latency of the records written. */
  sinkLatency: SinkLatency[];
}

export interface TaskSetConfig {
  plan: Plan;
  topology: Topology;
  log: LogClient;
  assignments: readonly TaskAssignment[];
  clock: Clock;
  fetchBytes: number;
  stateDir: string | undefined;
  errors: ErrorPolicies;
  /** Per repartition topic, how many tasks write it (each sends its own watermarks). */
  upstreamTasks: ReadonlyMap<string, number>;
  /**
   * Exchange a repartition topic in memory when all its writing and reading tasks are in this set and
   * its readers start at its end (local-exchange.ts). Default false.
   */
  localExchange?: boolean;
}

interface InputCursor {
  topic: string;
  partition: PartitionClient;
  partitionId: number;
  position: number;
  input: TaskInput;
  /** The next batch, asked for while the current one is processed, and the offset it starts at. */
  prefetch: Promise<FetchResult> | undefined;
  prefetchOffset: number;
  /** For a repartition topic: the writing tasks' watermarks, combined. */
  watermark: CombinedWatermark | undefined;
  /** For a table's topic: its end when the task started; other inputs wait until it is read that far. */
  loadUntil: number;
  /** For a generator source: the partition itself (also `partition`), and whether its end was signalled. */
  generator: GeneratorInput | undefined;
  endSignalled: boolean;
  /** For a repartition topic exchanged in memory: where its records come from instead of the topic. */
  exchange: LocalExchange | undefined;
}

interface Task {
  sub: SubTopology;
  partition: number;
  cursors: InputCursor[];
  stores: Array<KeyValueStore<unknown, unknown>>;
  /** Global tables' stores: flushed at cuts, never restored or recorded in checkpoints. */
  globalStores: Array<KeyValueStore<unknown, unknown>>;
  /** Whether the graph was told its global tables are loaded (TaskGraph.globalTablesLoaded). */
  globalTablesLoaded: boolean;
  graph: TaskGraph;
  /** Time spent delivering input batches, one observation per step that delivered any (ms). */
  steps: BucketHistogram;
}

/**
 * The tasks one thread runs, over a LogClient (the embedded log in this thread, or a worker's proxy to
 * it). `step` reads one batch from every input partition with data and pushes it synchronously through
 * the task's operators, then appends what they wrote; `cut` flushes outputs and store changes and
 * reports the positions a checkpoint needs. Not re-entrant: the caller awaits each call before the next.
 * Any processing error under the `fail` policy is thrown as an EngineError naming the operator, topic,
 * partition and offset.
 */
export class TaskSet {
  readonly #config: TaskSetConfig;
  readonly #errors: ErrorRouter;
  readonly #tasks: Task[] = [];
  readonly #writers = new Map<string, PartitionedWriter>();
  #recordsIn = 0;
  /** Time spent in #deliver (ms) and its calls, since #fetchAll last reset them for a task. */
  #deliverMs = 0;
  #deliveries = 0;
  /** The previous step's output appends. */
  #appending: Promise<void> = Promise.resolve();
  /** Repartition topics exchanged in memory (connected at restore). */
  #exchanges: LocalExchange[] = [];

  private constructor(config: TaskSetConfig) {
    this.#config = config;
    this.#errors = new ErrorRouter(config.errors, (topic) => this.#writer(topic));
  }

  /** Creates the stores and operator graphs of `config.assignments` (stores still to be restored). */
  static async create(config: TaskSetConfig): Promise<TaskSet> {
    const set = new TaskSet(config);
    for (const { subTopology, partition } of config.assignments) {
      const sub = config.topology.subTopologies.find((s) => s.id === subTopology);
      if (sub === undefined)
        throw new EngineError('INTERNAL', `no sub-topology ${subTopology} in '${config.plan.pipeline}'`);
      set.#tasks.push(await set.#createTask(sub, partition));
    }
    return set;
  }

  get recordsIn(): number {
    return this.#recordsIn;
  }

  #writer(topic: string): PartitionedWriter {
    let writer = this.#writers.get(topic);
    if (writer === undefined) {
      writer = new PartitionedWriter(this.#config.log, topic);
      this.#writers.set(topic, writer);
    }
    return writer;
  }

  async #createTask(sub: SubTopology, partition: number): Promise<Task> {
    const { plan, log, stateDir, clock } = this.#config;
    const stores: Array<KeyValueStore<unknown, unknown>> = [];
    const globalStores: Array<KeyValueStore<unknown, unknown>> = [];
    const storeBySpec = new Map<string, KeyValueStore<unknown, unknown>>();
    for (const spec of sub.stores) {
      if (spec.global === true) {
        // Rebuilt from the table's topic at every start: in memory, no changelog, not checkpointed.
        const store = await createKeyValueStore({
          name: spec.name,
          keySerde: codecFor(spec.keyFormat, plan) as Serde<unknown>,
          valueSerde: codecFor(spec.valueFormat, plan) as Serde<unknown>,
          clock,
        });
        globalStores.push(store);
        storeBySpec.set(spec.name, store);
        continue;
      }
      const store = await createKeyValueStore({
        name: spec.name,
        keySerde: codecFor(spec.keyFormat, plan) as Serde<unknown>,
        valueSerde: codecFor(spec.valueFormat, plan) as Serde<unknown>,
        backend:
          stateDir === undefined
            ? 'memory'
            : { lmdb: { path: join(stateDir, plan.pipeline, spec.name, String(partition)) } },
        changelog: { log, topic: spec.changelogTopic, partition },
        ...(spec.ttlMs === undefined ? {} : { ttl: spec.ttlMs }),
        ...(spec.cacheDecoded && spec.ttlMs === undefined
          ? { objectCacheEntries: OBJECT_CACHE_ENTRIES }
          : {}),
        clock,
      });
      stores.push(store);
      storeBySpec.set(spec.name, store);
    }
    const graph = buildTaskGraph(plan, sub, {
      store: (spec) => storeBySpec.get(spec.name)!,
      writer: (topic) => this.#writer(topic),
      errors: this.#errors,
      timers: (spec, domain) => new TimerStore(storeBySpec.get(spec.name) as unknown as RangeStore, domain),
      windowStore: (spec) => storeBySpec.get(spec.name) as unknown as WindowStateStore,
      clock: () => clock.now(),
      partition,
      partitions: this.#partitionCount((sub.inputs.find((i) => !i.global) ?? sub.inputs[0]!).topic),
    });
    const cursors: InputCursor[] = [...graph.inputs.values()].flatMap((input) => {
      const source = generatorSourceOf(plan, input.topic);
      const generator = source === undefined ? undefined : new GeneratorInput(plan, source, partition);
      // A global table's topic: every partition, whatever this task's partition is.
      return (
        input.global
          ? Array.from({ length: log.topicConfig(input.topic).partitions }, (_, p) => p)
          : [partition]
      ).map((p) => ({
        topic: input.topic,
        partition: generator ?? log.partition(input.topic, p),
        partitionId: p,
        position: 0,
        input,
        prefetch: undefined,
        prefetchOffset: -1,
        watermark: this.#config.upstreamTasks.has(input.topic)
          ? new CombinedWatermark(this.#config.upstreamTasks.get(input.topic)!)
          : undefined,
        loadUntil: 0,
        generator,
        endSignalled: false,
        exchange: undefined,
      }));
    });
    return {
      sub,
      partition,
      cursors,
      stores,
      globalStores,
      globalTablesLoaded: false,
      graph,
      steps: new BucketHistogram(DURATION_BUCKETS_MS),
    };
  }

  /** Partitions of a topic the tasks read, or of the generator source named so. */
  #partitionCount(topic: string): number {
    return (
      generatorSourceOf(this.#config.plan, topic)?.generator?.partitions ??
      this.#config.log.topicConfig(topic).partitions
    );
  }

  /**
   * Restores every store to its start offset and sets every input's position. `onProgress` is called
   * after every replayed changelog batch (not when a store is already at its offset).
   */
  async restore(start: TaskStart, onProgress?: (progress: StoreRestoreProgress) => void): Promise<void> {
    for (const task of this.#tasks) {
      const partition = task.partition;
      for (const store of task.stores)
        await store.restore({
          upToOffset: start.stores.get(store.name)?.get(partition) ?? 0,
          ...(onProgress === undefined ? {} : { onProgress: (p) => onProgress({ ...p, partition }) }),
        });
      for (const cursor of task.cursors) {
        if (cursor.input.global) {
          cursor.position = cursor.partition.logStartOffset;
          cursor.loadUntil = cursor.partition.highWatermark;
          continue;
        }
        const position = start.inputs.get(cursor.topic)?.get(cursor.partitionId);
        if (position === undefined)
          throw new EngineError('INTERNAL', `no start offset for ${cursor.topic}/${cursor.partitionId}`);
        cursor.position = position;
        if (cursor.input.table) cursor.loadUntil = cursor.partition.highWatermark;
      }
    }
    // Before the operators' time state: restoring it re-sends watermarks, which must take the path
    // records will take (an exchanged topic is never written).
    if (this.#config.localExchange === true) this.#connectExchanges();
    for (const task of this.#tasks) {
      const time = start.time.get(taskId(task));
      if (time !== undefined) {
        for (const cursor of task.cursors) cursor.watermark?.restore(time.inputs[cursor.topic]);
        task.graph.restoreTimeState(time.operators);
      }
    }
  }

  /**
   * Exchanges in memory each repartition topic that allows it (local-exchange.ts): every task writing it
   * and a reading task for each of its partitions are in this set, every reader starts at the topic's
   * end (nothing left there by an earlier run), and no reader has table inputs (which must be read to
   * their end before its other inputs: records held back in a queue could not wait for a cut).
   */
  #connectExchanges(): void {
    const { topology, upstreamTasks, log } = this.#config;
    for (const { topic, kind } of topology.internalTopics) {
      if (kind !== 'repartition') continue;
      const sinks = this.#tasks.flatMap((t) => {
        const sink = t.graph.repartitionSinks.get(topic);
        return sink === undefined ? [] : [sink];
      });
      if (sinks.length === 0 || sinks.length !== upstreamTasks.get(topic)) continue;
      const partitions = log.topicConfig(topic).partitions;
      const readers: InputCursor[] = [];
      let eligible = true;
      for (const task of this.#tasks) {
        const reads = task.cursors.filter((c) => c.topic === topic && !c.input.global);
        if (reads.length === 0) continue;
        if (task.cursors.some((c) => c.input.table || c.input.global)) eligible = false;
        readers.push(...reads);
      }
      const covered = new Set(readers.map((c) => c.partitionId));
      if (!eligible || readers.length !== partitions || covered.size !== partitions) continue;
      if (readers.some((c) => c.position !== c.partition.highWatermark)) continue;
      const exchange = new LocalExchange(topic, partitions);
      for (const sink of sinks) sink.exchange = exchange;
      for (const cursor of readers) cursor.exchange = exchange;
      this.#exchanges.push(exchange);
    }
  }

  /**
   * Runs due timers, then one batch per input partition with data, then starts appending the outputs.
   * Those appends stay in flight while the next step reads and processes (one step's outputs at most:
   * the next step awaits them before it starts its own); `cut` and idle waits await them too, and
   * their failure is thrown there.
   */
  async step(): Promise<number> {
    this.#fireTimers();
    const processed = await this.#fetchAll();
    await this.#appending;
    if (processed > 0) {
      this.#appending = this.#flushWriters();
      this.#appending.catch(() => undefined); // thrown by the next await of it
    }
    return processed;
  }

  /** Resolves once any input has data past its position, after `timeoutMs`, or when `signal` aborts. */
  async waitForInput(timeoutMs: number, signal: AbortSignal): Promise<void> {
    await this.#appending;
    const controller = new AbortController();
    // One listener per input partition: a pipeline may read many (a Nexmark pipeline reads dozens).
    setMaxListeners(0, controller.signal);
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // An exchanged topic gets nothing: its records come within steps (#drainExchanges).
      const waits = this.#tasks.flatMap((t) =>
        t.cursors
          .filter((c) => c.exchange === undefined)
          .map((c) => c.partition.waitForData(c.position, timeoutMs, controller.signal)),
      );
      if (waits.length > 0) await Promise.race(waits);
    } finally {
      signal.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  /** Appends all buffered outputs and store changes; returns the positions a checkpoint records. */
  async cut(): Promise<TaskCut> {
    // Steps end with the exchanges drained; whatever a timer or a stop pushed since goes now.
    this.#recordsIn += await this.#drainExchanges();
    await this.#appending;
    await this.#flushWriters();
    await Promise.all(this.#tasks.flatMap((t) => [...t.stores, ...t.globalStores].map((s) => s.flush())));
    const inputs: OffsetTable = new Map();
    const stores: OffsetTable = new Map();
    const time: Array<[string, TaskTimeState]> = [];
    for (const task of this.#tasks) {
      for (const cursor of task.cursors) {
        if (cursor.exchange !== undefined && cursor.partition.highWatermark !== cursor.position)
          throw new EngineError(
            'INTERNAL',
            `${cursor.topic}/${cursor.partitionId} is exchanged in memory but was written (end ${cursor.partition.highWatermark}, read to ${cursor.position})`,
          );
        if (!cursor.input.global) setOffset(inputs, cursor.topic, cursor.partitionId, cursor.position);
      }
      for (const store of task.stores) setOffset(stores, store.name, task.partition, store.position ?? 0);
      const operators = task.graph.timeState();
      const watermarks: Record<string, unknown> = {};
      for (const cursor of task.cursors)
        if (cursor.watermark !== undefined) watermarks[cursor.topic] = cursor.watermark.state();
      if (Object.keys(operators).length > 0 || Object.keys(watermarks).length > 0)
        time.push([taskId(task), { operators, inputs: watermarks }]);
    }
    return {
      inputs,
      stores,
      time,
      recordsIn: this.#recordsIn,
      errors: [...this.#errors.counts].map(([b, c]) => [b, { ...c }]),
      late: [
        ...this.#tasks
          .flatMap((t) => t.graph.lateRecords())
          .reduce((sum, [label, n]) => sum.set(label, (sum.get(label) ?? 0) + n), new Map<string, number>()),
      ],
      storeEntries: [
        ...this.#tasks
          .flatMap((t) => t.stores.map((store): [string, number] => [store.name, store.approximateCount()]))
          .reduce((sum, [name, n]) => sum.set(name, (sum.get(name) ?? 0) + n), new Map<string, number>()),
      ],
      operators: this.#tasks.flatMap((t) => t.graph.operatorMetrics(taskId(t))),
      stepLatency: this.#tasks.map((t) => ({ task: taskId(t), histogram: t.steps.snapshot() })),
      sinkLatency: this.#tasks.flatMap((t) => t.graph.sinkLatencies(taskId(t))),
    };
  }

  /** Waits for the last step's output appends (so nothing lands after a failed run is reported), then closes the stores. */
  async close(): Promise<void> {
    await this.#appending.catch(() => undefined);
    for (const task of this.#tasks)
      for (const store of [...task.stores, ...task.globalStores]) await store.close();
  }

  #fireTimers(): void {
    const now = this.#config.clock.now();
    for (const task of this.#tasks) {
      try {
        task.graph.fireTimers(now);
      } catch (error) {
        throw new EngineError(
          isEngineError(error) ? error.code : 'PROCESSING_FAILED',
          `pipeline '${this.#config.plan.pipeline}' stopped in a timer: ${(error as Error).message}`,
          {
            cause: error,
            details: {
              pipeline: this.#config.plan.pipeline,
              ...(isEngineError(error) ? error.details : {}),
              partition: task.partition,
            },
          },
        );
      }
    }
  }

  async #fetchAll(): Promise<number> {
    let processed = 0;
    /** Watermark control records among them (not counted as records in). */
    let controls = 0;
    const fetchBytes = this.#config.fetchBytes;
    for (const task of this.#tasks) {
      // At start a task reads its global tables' topics to their end as of then, then its tables' topics
      // likewise, and only then its other inputs.
      const loadingGlobal = task.cursors.some((c) => c.input.global && c.position < c.loadUntil);
      if (!loadingGlobal && !task.globalTablesLoaded) {
        task.globalTablesLoaded = true;
        task.graph.globalTablesLoaded();
      }
      const loading = task.cursors.some((c) => c.position < c.loadUntil);
      this.#deliverMs = 0;
      this.#deliveries = 0;
      for (const cursor of task.cursors) {
        if ((loadingGlobal && !cursor.input.global) || (loading && !cursor.input.table)) continue;
        if (cursor.exchange !== undefined) continue; // #drainExchanges delivers it
        if (cursor.generator !== undefined) {
          processed += await this.#readGenerator(cursor);
          continue;
        }
        let fetched: FetchResult;
        if (cursor.prefetch !== undefined && cursor.prefetchOffset === cursor.position) {
          fetched = await cursor.prefetch;
        } else if (cursor.position >= cursor.partition.highWatermark) {
          continue;
        } else {
          fetched = await cursor.partition.fetch(cursor.position, fetchBytes);
        }
        cursor.prefetch = undefined;
        if (fetched.nextOffset < fetched.highWatermark) {
          // Read the next batch while this one is processed.
          cursor.prefetchOffset = fetched.nextOffset;
          cursor.prefetch = cursor.partition.fetch(fetched.nextOffset, fetchBytes);
          cursor.prefetch.catch(() => undefined); // thrown when awaited
        }
        const records = fetched.records;
        const batch: StreamRecord[] = [];
        const { keySerde, valueSerde } = cursor.input;
        this.#errors.source = { topic: cursor.topic, partition: cursor.partitionId };
        let watermarkMoved = false;
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          if (r.headers !== undefined && cursor.watermark !== undefined) {
            const mark = readWatermark(r.headers, r.value);
            if (mark !== undefined) {
              if (cursor.watermark.update(mark.source, mark.watermark, mark.idle)) watermarkMoved = true;
              controls++;
              continue;
            }
          }
          let record: StreamRecord;
          try {
            const key = r.key;
            const value = r.value;
            record = new StreamRecord(
              key === null ? null : keySerde.decode(key),
              value === null ? null : valueSerde.decode(value),
              r.timestamp,
              r.headers,
              r.offset,
              r,
            );
          } catch (error) {
            // Under 'fail' this throws; otherwise the record is dropped (and dead-lettered when asked).
            this.#errors.handle(
              'deserialize',
              this.#inputError(error, cursor, r.offset, 'cannot decode the record'),
              undefined,
              r,
            );
            continue;
          }
          batch.push(record);
        }
        await this.#deliver(cursor, batch, fetched.nextOffset - 1, watermarkMoved);
        cursor.position = fetched.nextOffset;
        processed += records.length;
      }
      if (this.#deliveries > 0) task.steps.observe(this.#deliverMs);
    }
    processed += await this.#drainExchanges();
    this.#recordsIn += processed - controls;
    return processed;
  }

  /**
   * Delivers what the in-memory exchanges hold to their reading tasks, again until every queue is
   * empty (a delivery may push into another exchange downstream); returns the records delivered. Each
   * take is handled as a fetched batch of the topic would be: its records as one batch, then the
   * combined watermark of the watermarks among them, if it moved.
   */
  async #drainExchanges(): Promise<number> {
    let delivered = 0;
    while (this.#exchanges.some((e) => e.pending > 0)) {
      for (const task of this.#tasks) {
        // Time spent delivering to this task here counts as a step of it, as reading the topic would.
        this.#deliverMs = 0;
        this.#deliveries = 0;
        for (const cursor of task.cursors) {
          const exchange = cursor.exchange;
          if (exchange === undefined || exchange.pending === 0) continue;
          const entries = exchange.take(cursor.partitionId);
          if (entries.length === 0) continue;
          // Dead letters name the input partition a record was read from (marked in the queue).
          this.#errors.source = { topic: cursor.topic, partition: cursor.partitionId };
          let batch: StreamRecord[] = [];
          let watermarkMoved = false;
          for (const entry of entries) {
            if (isExchangeRecord(entry)) batch.push(entry);
            else if (isExchangeSource(entry)) {
              if (batch.length > 0) {
                delivered += batch.length;
                await this.#deliver(cursor, batch, batch.at(-1)!.offset, false);
                batch = [];
              }
              this.#errors.source = entry.readFrom;
            } else if (cursor.watermark!.update(entry.source, entry.watermark, entry.idle))
              watermarkMoved = true;
          }
          delivered += batch.length;
          if (batch.length > 0 || watermarkMoved)
            await this.#deliver(cursor, batch, batch.at(-1)?.offset ?? -1, watermarkMoved);
        }
        if (this.#deliveries > 0) task.steps.observe(this.#deliverMs);
      }
    }
    return delivered;
  }

  /**
   * One batch of a generator partition's values, pushed as records without keys, timestamped with the
   * clock; at the partition's end, once per start, the end-of-input watermark.
   */
  async #readGenerator(cursor: InputCursor): Promise<number> {
    const generator = cursor.generator!;
    this.#errors.source = { topic: cursor.topic, partition: cursor.partitionId };
    if (cursor.position >= generator.highWatermark) {
      if (!cursor.endSignalled) {
        cursor.endSignalled = true;
        for (const target of cursor.input.targets) target.onWatermark(END_OF_INPUT_WATERMARK, false);
      }
      return 0;
    }
    let values: unknown[];
    try {
      values = generator.read(cursor.position);
    } catch (error) {
      throw this.#inputError(error, cursor, cursor.position, 'the generator failed');
    }
    const now = this.#config.clock.now();
    // Operators shorten the batch in place: count what was read before handing it on.
    const count = values.length;
    const batch: StreamRecord[] = new Array(count);
    for (let i = 0; i < count; i++)
      batch[i] = new StreamRecord(null, values[i], now, undefined, cursor.position + i);
    await this.#deliver(cursor, batch, cursor.position + count - 1, false);
    cursor.position += count;
    return count;
  }

  /**
   * Pushes one input batch (it may be empty when only the watermark moved) through the cursor's targets
   * (copies for all but the last), waits for its async operators, then passes on the input's watermark
   * when it moved. A failure is thrown as the
   * input's error at the offset the operator names, else at `lastOffset`.
   */
  async #deliver(
    cursor: InputCursor,
    batch: StreamRecord[],
    lastOffset: number,
    watermarkMoved: boolean,
  ): Promise<void> {
    const targets = cursor.input.targets;
    const started = performance.now();
    try {
      const last = targets.length - 1;
      if (batch.length > 0)
        for (let t = 0; t <= last; t++) targets[t]!.receive(t === last ? batch : batch.map((r) => r.copy()));
      await cursor.input.settle();
      if (watermarkMoved) {
        const { current, idle } = cursor.watermark!;
        for (const target of targets) target.onWatermark(current, idle);
      }
      this.#deliverMs += performance.now() - started;
      this.#deliveries++;
    } catch (error) {
      const offset =
        isEngineError(error) && typeof error.details.offset === 'number' ? error.details.offset : lastOffset;
      throw this.#inputError(error, cursor, offset, 'processing failed');
    }
  }

  #inputError(error: unknown, cursor: InputCursor, offset: number, what: string): EngineError {
    const cause = isEngineError(error) ? error : undefined;
    const operator = cause?.details.operator ?? cursor.input.label;
    const pipeline = this.#config.plan.pipeline;
    return new EngineError(
      cause?.code ?? 'PROCESSING_FAILED',
      `pipeline '${pipeline}' stopped: ${what} at ${cursor.topic}/${cursor.partitionId} offset ${offset} in ${String(operator)}: ${(error as Error).message}`,
      {
        cause: error,
        details: { pipeline, operator, topic: cursor.topic, partition: cursor.partitionId, offset },
      },
    );
  }

  async #flushWriters(): Promise<void> {
    await Promise.all([...this.#writers.values()].map((w) => w.flush()));
  }
}
