import { EngineError, type Headers, isEngineError, ManualClock } from '../model/index.ts';
import {
  buildTopology,
  type FormatSpec,
  type Plan,
  type SinkNode,
  type SourceNode,
  type Topology,
  type TopologyStore,
} from '../plan/index.ts';
import {
  type Boundary,
  buildTaskGraph,
  codecFor,
  type ErrorPolicies,
  ErrorRouter,
  type OperatorStore,
  type RangeStore,
  StreamRecord,
  type TaskGraph,
  type TaskInput,
  TimerStore,
  validatePolicies,
} from '../runtime/index.ts';

/** A pipeline definition: anything with a `plan()` (the DSL's Pipeline) or a Plan itself. */
export type PlanSource = Plan | { plan(): Plan };

/** A dead letter as the driver keeps it: the record's raw key and value, and the `rivulet.*` headers. */
export interface TestDeadLetter {
  key: Uint8Array | null;
  value: Uint8Array | null;
  timestamp: number;
  headers: Headers;
}

/** A record read from an output topic of the driver, decoded with the sink's formats. */
export interface TestOutputRecord {
  key: unknown;
  value: unknown;
  timestamp: number;
  headers: Headers | undefined;
}

interface EncodedRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  timestamp: number;
  headers: Headers | undefined;
}

/**
 * Runs a pipeline synchronously, without a log or broker: every topic has one partition held in memory,
 * stores are in memory, time is a manual clock. `pipeInput` encodes a value with the source's format,
 * decodes it back (so schema validation runs), pushes it through the operators, and follows repartition
 * topics (encoded and decoded as in production) until nothing is left to do. Errors (an undecodable
 * input, a throwing user function, an unencodable output) follow `options.errors` as in a real run:
 * under `fail` (the default) they surface from `pipeInput`; `skip` drops and counts the record;
 * `deadLetter(topic)` keeps it for `readDeadLetters(topic)` with the same `rivulet.*` headers (the
 * source offset is the record's index among those piped to its topic). `mapAsync` calls run on the
 * event loop: `await driver.settle()` before reading what they produce. For our tests and users' unit
 * tests.
 */
export class TestDriver {
  readonly clock: ManualClock;
  readonly #plan: Plan;
  readonly #topology: Topology;
  readonly #inputs = new Map<string, TaskInput[]>();
  readonly #outputs = new Map<string, EncodedRecord[]>();
  readonly #internal = new Set<string>();
  /** Repartition records and watermarks still to deliver, in the order they were written. */
  readonly #pending: Array<
    { topic: string; record: EncodedRecord } | { topic: string; watermark: number; idle: boolean }
  > = [];
  /** Keyed stores hold encoded values; range stores (windows, stream-stream joins) values as put (`raw`). */
  readonly #stores = new Map<string, { spec: TopologyStore; data: Map<string, unknown>; raw?: true }>();
  readonly #graphs: TaskGraph[] = [];
  readonly #hasAsync: boolean;
  readonly #errors: ErrorRouter;
  /** Records piped so far per source topic: the offsets dead letters name. */
  readonly #piped = new Map<string, number>();

  constructor(pipeline: PlanSource, options: { startTime?: number; errors?: ErrorPolicies } = {}) {
    validatePolicies(options.errors ?? {});
    this.#errors = new ErrorRouter(options.errors ?? {}, (topic) => ({
      write: (key, value, timestamp, headers) =>
        this.#outputOf(topic).push({ key, value, timestamp, headers }),
    }));
    this.#plan =
      'plan' in pipeline && typeof pipeline.plan === 'function' ? pipeline.plan() : (pipeline as Plan);
    this.clock = new ManualClock(options.startTime ?? 0);
    this.#hasAsync = this.#plan.nodes.some((n) => n.kind === 'mapAsync');
    this.#topology = buildTopology(this.#plan);
    for (const t of this.#topology.internalTopics) if (t.kind === 'repartition') this.#internal.add(t.topic);
    for (const sub of this.#topology.subTopologies) {
      const graph = buildTaskGraph(this.#plan, sub, {
        store: (spec) => this.#store(spec),
        writer: (topic) => ({
          write: (key, value, timestamp, headers) => {
            const record = { key, value, timestamp, headers };
            if (this.#internal.has(topic)) this.#pending.push({ topic, record });
            else this.#outputOf(topic).push(record);
          },
          watermark: (watermark, idle) => {
            if (this.#internal.has(topic)) this.#pending.push({ topic, watermark, idle });
          },
        }),
        timers: (_spec, domain) => new TimerStore(memoryRangeStore(), domain),
        windowStore: (spec) => {
          const data = new Map<string, unknown>();
          this.#stores.set(spec.name, { spec, data, raw: true });
          return memoryRangeStore(data);
        },
        clock: () => this.clock.now(),
        partition: 0,
        partitions: 1,
        errors: this.#errors,
      });
      graph.globalTablesLoaded(); // inputs are piped in order: global tables are as loaded as they get
      this.#graphs.push(graph);
      for (const [topic, input] of graph.inputs) {
        const list = this.#inputs.get(topic);
        if (list === undefined) this.#inputs.set(topic, [input]);
        else list.push(input);
      }
    }
  }

  #outputOf(topic: string): EncodedRecord[] {
    let list = this.#outputs.get(topic);
    if (list === undefined) {
      list = [];
      this.#outputs.set(topic, list);
    }
    return list;
  }

  #store(spec: TopologyStore): OperatorStore {
    const keyCodec = codecFor(spec.keyFormat, this.#plan);
    const valueCodec = codecFor(spec.valueFormat, this.#plan);
    // One map per store name: a table's store is also read by the joins against it.
    const data = this.#stores.get(spec.name)?.data ?? new Map<string, unknown>();
    this.#stores.set(spec.name, { spec, data });
    const id = (key: unknown): string => Buffer.from(keyCodec.encode(key)).toString('latin1');
    // Values go through the store's codec, as a persistent store would do, so unserialisable state fails here too.
    return {
      get: (key) => {
        const bytes = data.get(id(key)) as Uint8Array | undefined;
        return bytes === undefined ? undefined : valueCodec.decode(bytes);
      },
      put: (key, value) => data.set(id(key), valueCodec.encode(value)),
      delete: (key) => data.delete(id(key)),
    };
  }

  /** Feeds one record to the pipeline's source topic `topic` and processes it to completion. */
  pipeInput(
    topic: string,
    value: unknown,
    options: { key?: unknown; timestamp?: number; headers?: Headers } = {},
  ): void {
    const source = this.#plan.nodes.find((n): n is SourceNode => n.kind === 'source' && n.topic === topic);
    if (source === undefined)
      throw new EngineError('UNKNOWN_TOPIC', `no source of this pipeline reads topic '${topic}'`, {
        details: { topic },
      });
    const keyBytes =
      options.key === undefined || options.key === null
        ? null
        : encodeAs(source.keyFormat, options.key, this.#plan);
    const valueBytes = value === null ? null : encodeAs(source.valueFormat, value, this.#plan);
    this.#deliver(topic, {
      key: keyBytes,
      value: valueBytes,
      timestamp: options.timestamp ?? this.clock.now(),
      headers: options.headers,
    });
    this.#drainPending();
  }

  /** Feeds raw bytes (e.g. malformed JSON) to a source topic. */
  pipeRawInput(
    topic: string,
    value: Uint8Array | null,
    options: { key?: Uint8Array | null; timestamp?: number } = {},
  ): void {
    this.#deliver(topic, {
      key: options.key ?? null,
      value,
      timestamp: options.timestamp ?? this.clock.now(),
      headers: undefined,
    });
    this.#drainPending();
  }

  #drainPending(): void {
    while (this.#pending.length > 0) {
      const next = this.#pending.shift()!;
      if ('record' in next) this.#deliver(next.topic, next.record);
      else
        for (const input of this.#inputs.get(next.topic) ?? [])
          for (const target of input.targets) target.onWatermark(next.watermark, next.idle);
    }
  }

  #deliver(topic: string, encoded: EncodedRecord): void {
    const offset = this.#piped.get(topic) ?? 0;
    this.#piped.set(topic, offset + 1);
    for (const input of this.#inputs.get(topic) ?? []) {
      this.#errors.source = { topic, partition: 0 };
      let record: StreamRecord;
      try {
        record = new StreamRecord(
          encoded.key === null ? null : input.keySerde.decode(encoded.key),
          encoded.value === null ? null : input.valueSerde.decode(encoded.value),
          encoded.timestamp,
          encoded.headers,
          offset,
          { ...encoded, offset },
        );
      } catch (error) {
        // Under 'fail' this throws; otherwise the record is dropped (and dead-lettered when asked).
        this.#errors.handle(
          'deserialize',
          new EngineError(
            isEngineError(error) ? error.code : 'INVALID_RECORD',
            `${input.label}: cannot decode a record of topic ${topic}: ${(error as Error).message}`,
            { cause: error, details: { topic, offset, operator: input.label } },
          ),
          undefined,
          { ...encoded, offset },
        );
        continue;
      }
      const last = input.targets.length - 1;
      for (let i = 0; i <= last; i++) input.targets[i]!.receive([i === last ? record : record.copy()]);
    }
  }

  /**
   * Waits until every `mapAsync` call started by the inputs so far has finished and its results have
   * gone through the rest of the pipeline (repartition topics included). A `mapAsync` failure under the
   * `fail` policy is thrown here. Pipelines without `mapAsync` are always settled.
   */
  async settle(): Promise<void> {
    if (!this.#hasAsync) return;
    for (;;) {
      for (const inputs of this.#inputs.values()) for (const input of inputs) await input.settle();
      if (this.#pending.length === 0) return;
      this.#drainPending();
    }
  }

  /** Records dropped or dead-lettered so far by the error policies, per boundary. */
  errorCounts(): Partial<Record<Boundary, { skipped: number; deadLettered: number }>> {
    return Object.fromEntries([...this.#errors.counts].map(([b, c]) => [b, { ...c }]));
  }

  /** Takes (and removes) the dead letters written so far to `topic` (an error policy's `deadLetter`). */
  readDeadLetters(topic: string): TestDeadLetter[] {
    const records = this.#outputs.get(topic) ?? [];
    this.#outputs.set(topic, []);
    return records.map((r) => ({
      key: r.key,
      value: r.value,
      timestamp: r.timestamp,
      headers: r.headers ?? new Map(),
    }));
  }

  /** Takes (and removes) the records written so far to an output topic, decoded with the sink's formats. */
  readOutput(topic: string): TestOutputRecord[] {
    const sink = this.#plan.nodes.find((n): n is SinkNode => n.kind === 'sink' && n.topic === topic);
    if (sink === undefined)
      throw new EngineError('UNKNOWN_TOPIC', `no sink of this pipeline writes topic '${topic}'`, {
        details: { topic },
      });
    const keyCodec = codecFor(sink.keyFormat, this.#plan);
    const valueCodec = codecFor(sink.valueFormat, this.#plan);
    const records = this.#outputs.get(topic) ?? [];
    this.#outputs.set(topic, []);
    return records.map((r) => ({
      key: r.key === null ? null : keyCodec.decode(r.key),
      value: r.value === null ? null : valueCodec.decode(r.value),
      timestamp: r.timestamp,
      headers: r.headers,
    }));
  }

  /** The current contents of a named store, as [key, value] pairs in key-byte order. */
  storeEntries(name: string): Array<[unknown, unknown]> {
    const store = this.#stores.get(name);
    if (store === undefined)
      throw new EngineError('INVALID_ARGUMENT', `no store named '${name}'`, { details: { store: name } });
    const keyCodec = codecFor(store.spec.keyFormat, this.#plan);
    const valueCodec = codecFor(store.spec.valueFormat, this.#plan);
    return [...store.data]
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')))
      .map(([k, v]) => [
        keyCodec.decode(Buffer.from(k, 'latin1')),
        store.raw ? v : valueCodec.decode(v as Uint8Array),
      ]);
  }

  /** Moves processing time forward and runs the processors' timers that became due. */
  advanceTime(ms: number): void {
    this.clock.advance(ms);
    for (const graph of this.#graphs) graph.fireTimers(this.clock.now());
    this.#drainPending();
  }
}

/** Encodes a test input the way a producer of that topic would (JSON text, UTF-8, raw bytes). */
function encodeAs(format: FormatSpec, value: unknown, plan: Plan): Uint8Array {
  if (format.kind === 'bytes' && typeof value === 'string') return Buffer.from(value);
  return codecFor(format.kind === 'json' ? { kind: 'json' } : format, plan).encode(value);
}

/**
 * A byte-ordered in-memory store for the driver's timers and window state (latin1 strings compare like
 * their bytes), over `data`.
 */
function memoryRangeStore(data = new Map<string, unknown>()): RangeStore & { get(key: Uint8Array): unknown } {
  const id = (key: Uint8Array): string => Buffer.from(key).toString('latin1');
  return {
    get: (key) => data.get(id(key)),
    put: (key, value) => data.set(id(key), value),
    delete: (key) => data.delete(id(key)),
    range: (from, to, options) => {
      const low = from === undefined ? undefined : id(from);
      const high = to === undefined ? undefined : id(to);
      return [...data.keys()]
        .filter((k) => (low === undefined || k >= low) && (high === undefined || k < high))
        .sort()
        .slice(0, options?.limit)
        .map((k) => ({ key: Buffer.from(k, 'latin1'), value: data.get(k) }));
    },
  };
}
