import { join } from 'node:path';
import type { Log, Partition } from '../log/index.ts';
import { type Clock, EngineError, isEngineError, type Serde, systemClock } from '../model/index.ts';
import { buildTopology, type Plan, type SubTopology, type Topology } from '../plan/index.ts';
import { createKeyValueStore, ensureChangelogTopic, type KeyValueStore } from '../state/index.ts';
import {
  CHECKPOINT_TOPIC,
  type Checkpoint,
  checkpointMismatch,
  encodeCheckpoint,
  type OffsetTable,
  readCheckpoints,
  setOffset,
} from './checkpoint.ts';
import { type ErrorPolicies, ErrorRouter, validatePolicies } from './error-policy.ts';
import { codecFor } from './format-codec.ts';
import { PartitionedWriter } from './partitioned-writer.ts';
import { StreamRecord } from './stream-record.ts';
import { buildTaskGraph, type TaskInput } from './task-graph.ts';
import { type RangeStore, TimerStore } from './timer-store.ts';

export interface RunOptions {
  /** 'exactly-once' (default): outputs become visible at checkpoints and are rolled back on a crash. */
  guarantee?: 'exactly-once' | 'at-least-once';
  /** Time between checkpoints (default 100 ms). */
  commitIntervalMs?: number;
  /** Store backend: in memory (restored from changelogs on start) or LMDB under this directory. */
  stateDir?: string;
  clock?: Clock;
  /** Bytes read per input partition and step (default 256 KiB). */
  fetchBytes?: number;
  /** Per boundary: 'fail' (default), 'skip', or { deadLetter: topic }. */
  errors?: ErrorPolicies;
}

export interface RunStatus {
  pipeline: string;
  state: 'running' | 'stopped' | 'failed';
  recordsIn: number;
  /** Records in the input partitions (sources and repartition topics) not processed yet. */
  lag: number;
  checkpoints: number;
  /** Records dropped or dead-lettered by the error policies, per boundary. */
  errors: Record<string, { skipped: number; deadLettered: number }>;
  lastCheckpointSequence: number;
  error?: EngineError;
}

interface InputCursor {
  topic: string;
  partition: Partition;
  partitionId: number;
  position: number;
  input: TaskInput;
}

interface Task {
  sub: SubTopology;
  partition: number;
  cursors: InputCursor[];
  stores: Array<KeyValueStore<unknown, unknown>>;
  fireTimers(now: number): void;
}

/**
 * Runs one pipeline over the embedded log in this thread: one task per (sub-topology, partition), each
 * reading its input partitions in batches and pushing them synchronously through its operators. Every
 * commit interval it takes a checkpoint (DESIGN.md §4): outputs and store changes are appended and
 * synced, then one checkpoint record names the cut. On start it returns to the newest checkpoint that
 * matches the data: engine-written partitions are truncated to it (exactly-once), stores restored to its
 * changelog positions, inputs rewound. Any processing error stops the pipeline (the `fail` policy) with
 * the operator, topic, partition and offset in the error.
 */
export class PipelineRunner {
  readonly plan: Plan;
  readonly #log: Log;
  readonly #options: Required<Omit<RunOptions, 'stateDir'>> & { stateDir: string | undefined };
  readonly #errors: ErrorRouter;
  readonly #topology: Topology;
  readonly #tasks: Task[] = [];
  readonly #writers = new Map<string, PartitionedWriter>();
  readonly #sinkTopics = new Set<string>();
  #sequence = 0;
  #recordsIn = 0;
  #checkpoints = 0;
  #state: RunStatus['state'] = 'running';
  #error: EngineError | undefined;
  #stopRequested = false;
  #loop: Promise<void> = Promise.resolve();
  #lastCheckpoint = 0;

  private constructor(log: Log, plan: Plan, options: RunOptions) {
    this.#log = log;
    this.plan = plan;
    this.#options = {
      guarantee: options.guarantee ?? 'exactly-once',
      commitIntervalMs: options.commitIntervalMs ?? 100,
      clock: options.clock ?? systemClock,
      fetchBytes: options.fetchBytes ?? 256 * 1024,
      stateDir: options.stateDir,
      errors: options.errors ?? {},
    };
    validatePolicies(this.#options.errors);
    this.#errors = new ErrorRouter(this.#options.errors, (topic) => this.#writer(topic));
    this.#topology = buildTopology(plan);
  }

  /** Prepares topics, recovers to the last checkpoint and starts processing. */
  static async start(log: Log, plan: Plan, options: RunOptions = {}): Promise<PipelineRunner> {
    const runner = new PipelineRunner(log, plan, options);
    await runner.#prepare();
    runner.#loop = runner.#run();
    return runner;
  }

  status(): RunStatus {
    return {
      pipeline: this.plan.pipeline,
      state: this.#state,
      recordsIn: this.#recordsIn,
      lag: this.#lag(),
      checkpoints: this.#checkpoints,
      errors: Object.fromEntries(this.#errors.counts),
      lastCheckpointSequence: this.#sequence,
      ...(this.#error === undefined ? {} : { error: this.#error }),
    };
  }

  /** Unprocessed input records, counting repartition records still buffered for their topic. */
  #lag(): number {
    let lag = 0;
    for (const task of this.#tasks)
      for (const c of task.cursors) lag += Math.max(0, c.partition.highWatermark - c.position);
    for (const [topic, writer] of this.#writers) if (!this.#sinkTopics.has(topic)) lag += writer.buffered;
    return lag;
  }

  /** Resolves when the pipeline stops; rejects with the error that stopped it. */
  get done(): Promise<void> {
    return this.#loop;
  }

  /** Stops after the current step, takes a final checkpoint and closes the stores. */
  async stop(): Promise<void> {
    this.#stopRequested = true;
    await this.#loop.catch(() => undefined);
  }

  async #prepare(): Promise<void> {
    const log = this.#log;
    log.ensureInternalTopic(CHECKPOINT_TOPIC, {
      partitions: 1,
      durability: 'fsync',
      retention: { time: '1d' },
    });
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
        await ensureChangelogTopic(log, store.changelogTopic, { partitions: tasks, durability: 'none' });
      for (const sink of sub.sinks) {
        // Synced at every checkpoint, so appends in between need not wait for fdatasync.
        if (!log.hasTopic(sink.topic))
          await log.createTopic(sink.topic, { partitions: tasks, durability: 'none' });
        this.#sinkTopics.add(sink.topic);
      }
    }
    for (const topic of this.#errors.deadLetterTopics()) {
      if (!log.hasTopic(topic)) await log.createTopic(topic, { partitions: 1, durability: 'none' });
      this.#sinkTopics.add(topic);
    }
    for (const sub of this.#topology.subTopologies) {
      for (let p = 0; p < taskCounts.get(sub.id)!; p++) this.#tasks.push(await this.#createTask(sub, p));
    }
    await this.#recover();
  }

  /** Tasks per sub-topology: the partition count shared by its inputs (repartition topics follow their reader). */
  #taskCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const sub of this.#topology.subTopologies) {
      const sourceCounts = new Set<number>();
      for (const input of sub.inputs) {
        if (input.kind !== 'source') continue;
        if (!this.#log.hasTopic(input.topic)) {
          throw new EngineError(
            'UNKNOWN_TOPIC',
            `pipeline '${this.plan.pipeline}' reads topic '${input.topic}', which does not exist`,
            { details: { topic: input.topic } },
          );
        }
        sourceCounts.add(this.#log.topicConfig(input.topic).partitions);
      }
      if (sourceCounts.size > 1) {
        throw new EngineError(
          'COPARTITION_MISMATCH',
          `sub-topology ${sub.id} of '${this.plan.pipeline}' reads ${sub.inputs.map((i) => i.topic).join(', ')}, whose partition counts differ (${[...sourceCounts].join(', ')}); keyBy() one side to repartition it`,
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

  #writer(topic: string): PartitionedWriter {
    let writer = this.#writers.get(topic);
    if (writer === undefined) {
      writer = new PartitionedWriter(this.#log, topic);
      this.#writers.set(topic, writer);
    }
    return writer;
  }

  async #createTask(sub: SubTopology, partition: number): Promise<Task> {
    const stores: Array<KeyValueStore<unknown, unknown>> = [];
    const storeBySpec = new Map<string, KeyValueStore<unknown, unknown>>();
    for (const spec of sub.stores) {
      const store = await createKeyValueStore({
        name: spec.name,
        keySerde: codecFor(spec.keyFormat, this.plan) as Serde<unknown>,
        valueSerde: codecFor(spec.valueFormat, this.plan) as Serde<unknown>,
        backend:
          this.#options.stateDir === undefined
            ? 'memory'
            : {
                lmdb: {
                  path: join(this.#options.stateDir, this.plan.pipeline, spec.name, String(partition)),
                },
              },
        changelog: { log: this.#log, topic: spec.changelogTopic, partition },
        ...(spec.ttlMs === undefined ? {} : { ttl: spec.ttlMs }),
        clock: this.#options.clock,
      });
      stores.push(store);
      storeBySpec.set(spec.name, store);
    }
    const graph = buildTaskGraph(this.plan, sub, {
      store: (spec) => storeBySpec.get(spec.name)!,
      writer: (topic) => this.#writer(topic),
      errors: this.#errors,
      timers: (spec) => new TimerStore(storeBySpec.get(spec.name) as unknown as RangeStore),
      clock: () => this.#options.clock.now(),
    });
    const cursors: InputCursor[] = [...graph.inputs.values()].map((input) => ({
      topic: input.topic,
      partition: this.#log.partition(input.topic, partition),
      partitionId: partition,
      position: 0,
      input,
    }));
    return { sub, partition, cursors, stores, fireTimers: graph.fireTimers };
  }

  /** Returns to the newest checkpoint consistent with the log, or writes the first one. */
  async #recover(): Promise<void> {
    const checkpoints = await readCheckpoints(this.#log, this.plan.pipeline);
    let chosen: Checkpoint | undefined;
    for (let i = checkpoints.length - 1; i >= 0; i--) {
      const mismatch = checkpointMismatch(this.#log, checkpoints[i]!);
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
      for (const task of this.#tasks)
        for (const store of task.stores) await this.#truncateChangelog(store, task.partition, 0);
      for (const topic of this.#engineWrittenTopics())
        for (let p = 0; p < this.#log.topicConfig(topic).partitions; p++)
          await this.#log.partition(topic, p).truncateTo(this.#log.partition(topic, p).logStartOffset);
    }
    for (const task of this.#tasks) {
      for (let i = 0; i < task.stores.length; i++) {
        const store = task.stores[i]!;
        const position =
          chosen?.stores.get(store.name)?.get(task.partition) ??
          (chosen === undefined && checkpoints.length === 0
            ? this.#log.partition(task.sub.stores[i]!.changelogTopic, task.partition).highWatermark
            : 0);
        await store.restore({ upToOffset: position });
      }
      for (const cursor of task.cursors) {
        const saved = chosen?.inputs.get(cursor.topic)?.get(cursor.partitionId);
        cursor.position = saved ?? this.#startPosition(cursor);
      }
    }
    if (chosen !== undefined) this.#sequence = chosen.sequence;
    if (exactlyOnce) {
      for (const topic of this.#sinkTopics) {
        for (let p = 0; p < this.#log.topicConfig(topic).partitions; p++) {
          const partition = this.#log.partition(topic, p);
          partition.setCommittedOffset(chosen?.outputs.get(topic)?.get(p) ?? partition.highWatermark);
        }
      }
    }
    await this.#checkpoint();
  }

  async #truncateChangelog(
    store: KeyValueStore<unknown, unknown>,
    partition: number,
    offset: number,
  ): Promise<void> {
    const spec = this.#tasks.flatMap((t) => t.sub.stores).find((s) => s.name === store.name)!;
    const log = this.#log.partition(spec.changelogTopic, partition);
    if (log.highWatermark > Math.max(offset, log.logStartOffset))
      await log.truncateTo(Math.max(offset, log.logStartOffset));
  }

  #engineWrittenTopics(): string[] {
    return [...this.#sinkTopics, ...this.#topology.internalTopics.map((t) => t.topic)];
  }

  #startPosition(cursor: InputCursor): number {
    const source = this.plan.nodes.find((n) => n.kind === 'source' && n.topic === cursor.topic);
    if (source?.kind === 'source' && source.startFrom === 'latest') return cursor.partition.highWatermark;
    return cursor.partition.logStartOffset;
  }

  async #run(): Promise<void> {
    try {
      this.#lastCheckpoint = Date.now();
      while (!this.#stopRequested) {
        this.#fireTimers();
        const progressed = await this.#fetchAll();
        if (progressed > 0) await this.#flushWriters();
        if (Date.now() - this.#lastCheckpoint >= this.#options.commitIntervalMs) await this.#checkpoint();
        if (progressed === 0 && !this.#stopRequested) await this.#waitForInput();
      }
      await this.#flushWriters();
      await this.#checkpoint();
      this.#state = 'stopped';
    } catch (error) {
      this.#state = 'failed';
      this.#error = isEngineError(error)
        ? error
        : new EngineError(
            'PIPELINE_FAILED',
            `pipeline '${this.plan.pipeline}' failed: ${(error as Error).message}`,
            { cause: error },
          );
      throw this.#error;
    } finally {
      for (const task of this.#tasks) for (const store of task.stores) await store.close();
    }
  }

  /** Runs due processing-time timers; their output is flushed with the next step's. */
  #fireTimers(): void {
    const now = this.#options.clock.now();
    for (const task of this.#tasks) {
      try {
        task.fireTimers(now);
      } catch (error) {
        throw new EngineError(
          isEngineError(error) ? error.code : 'PROCESSING_FAILED',
          `pipeline '${this.plan.pipeline}' stopped in a timer: ${(error as Error).message}`,
          {
            cause: error,
            details: {
              pipeline: this.plan.pipeline,
              ...(isEngineError(error) ? error.details : {}),
              partition: task.partition,
            },
          },
        );
      }
    }
  }

  /** One pass over every task's inputs, a batch from each; returns the number of records processed. */
  async #fetchAll(): Promise<number> {
    let processed = 0;
    for (const task of this.#tasks) {
      for (const cursor of task.cursors) {
        if (cursor.position >= cursor.partition.highWatermark) continue;
        const fetched = await cursor.partition.fetch(cursor.position, this.#options.fetchBytes);
        const records = fetched.records;
        const batch: StreamRecord[] = [];
        const { keySerde, valueSerde } = cursor.input;
        this.#errors.source = { topic: cursor.topic, partition: cursor.partitionId };
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
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
        try {
          const targets = cursor.input.targets;
          const last = targets.length - 1;
          for (let t = 0; t <= last; t++)
            targets[t]!.process(t === last ? batch : batch.map((r) => r.copy()));
          await cursor.input.settle();
        } catch (error) {
          const offset =
            isEngineError(error) && typeof error.details.offset === 'number'
              ? error.details.offset
              : fetched.nextOffset - 1;
          throw this.#inputError(error, cursor, offset, 'processing failed');
        }
        cursor.position = fetched.nextOffset;
        processed += records.length;
      }
    }
    this.#recordsIn += processed;
    return processed;
  }

  #inputError(error: unknown, cursor: InputCursor, offset: number, what: string): EngineError {
    const cause = isEngineError(error) ? error : undefined;
    const operator = cause?.details.operator ?? cursor.input.label;
    return new EngineError(
      cause?.code ?? 'PROCESSING_FAILED',
      `pipeline '${this.plan.pipeline}' stopped: ${what} at ${cursor.topic}/${cursor.partitionId} offset ${offset} in ${String(operator)}: ${(error as Error).message}`,
      {
        cause: error,
        details: {
          pipeline: this.plan.pipeline,
          operator,
          topic: cursor.topic,
          partition: cursor.partitionId,
          offset,
        },
      },
    );
  }

  async #flushWriters(): Promise<void> {
    await Promise.all([...this.#writers.values()].map((w) => w.flush()));
  }

  async #waitForInput(): Promise<void> {
    const wait = Math.max(1, this.#options.commitIntervalMs - (Date.now() - this.#lastCheckpoint));
    const controller = new AbortController();
    const waits = this.#tasks.flatMap((t) =>
      t.cursors.map((c) => c.partition.waitForData(c.position, wait, controller.signal)),
    );
    await Promise.race(waits);
    controller.abort();
  }

  /** Writes a checkpoint: flush outputs and stores, sync what they wrote, append the cut, publish it. */
  async #checkpoint(): Promise<void> {
    await this.#flushWriters();
    const storeFlushes = this.#tasks.flatMap((t) => t.stores.map((s) => s.flush()));
    await Promise.all(storeFlushes);
    const outputs: OffsetTable = new Map();
    const syncs: Array<Promise<void>> = [];
    for (const topic of this.#engineWrittenTopics()) {
      if (!this.#log.hasTopic(topic)) continue;
      for (let p = 0; p < this.#log.topicConfig(topic).partitions; p++) {
        const partition = this.#log.partition(topic, p);
        syncs.push(partition.sync());
        setOffset(outputs, topic, p, partition.highWatermark);
      }
    }
    await Promise.all(syncs);
    const inputs: OffsetTable = new Map();
    const stores: OffsetTable = new Map();
    for (const task of this.#tasks) {
      for (const cursor of task.cursors) setOffset(inputs, cursor.topic, cursor.partitionId, cursor.position);
      for (const store of task.stores) setOffset(stores, store.name, task.partition, store.position ?? 0);
    }
    const checkpoint: Checkpoint = {
      pipeline: this.plan.pipeline,
      sequence: this.#sequence + 1,
      inputs,
      outputs,
      stores,
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
    this.#lastCheckpoint = Date.now();
    if (this.#options.guarantee === 'exactly-once') {
      for (const topic of this.#sinkTopics) {
        for (const [p, end] of outputs.get(topic) ?? [])
          this.#log.partition(topic, p).setCommittedOffset(end);
      }
    }
  }
}
