import type { SinkConnector } from '../connector/index.ts';
import { type Duration, EngineError, parseDuration } from '../model/index.ts';
import type { FormatSpec, NodeDraft, UserFunction, WindowSpec } from '../plan/index.ts';
import type { DslNode } from './dsl-node.ts';
import { type Format, formatSpecOf, json } from './format.ts';
import type { GlobalTable } from './global-table.ts';
import { KeyedStream } from './keyed-stream.ts';
import type { Key, RecordContext } from './record-context.ts';
import type { SinkSpec } from './topic-spec.ts';
import type { WatermarkStrategy } from './watermark-strategy.ts';
import type { WindowedStream, WindowOptions } from './windowed-stream.ts';

/** A type guard for S, written as a method so its parameter is bivariant and any guard over T matches. */
type GuardOf<S> = { check(value: unknown, context: never): value is S }['check'];
/** The narrowed type of a type-guard predicate over T, or T for a plain boolean predicate. */
type Guarded<T, P> = P extends GuardOf<infer S> ? (S extends T ? S : T) : T;

const jsonKey: FormatSpec = Object.freeze({ kind: 'json' });

/**
 * An unbounded stream of values of type T whose records carry keys of type K. Every method adds a node to
 * the pipeline's plan and returns a new stream; nothing runs until the pipeline is started.
 */
export class Stream<T, K = unknown> {
  /** @internal */
  readonly node: DslNode;

  /** @internal */
  constructor(node: DslNode) {
    this.node = node;
  }

  #next<U, K2 = K>(draft: NodeDraft, keyFormat = this.node.keyFormat): Stream<U, K2> {
    return new Stream<U, K2>({ builder: this.node.builder, id: this.node.builder.add(draft), keyFormat });
  }

  #fn(f: unknown): string {
    return this.node.builder.fn(f as UserFunction);
  }

  /**
   * Event time: each record's timestamp becomes `extractor(value)` (ms since the epoch, a whole number
   * >= 0), and `watermarks` says how far behind the newest record a record may arrive
   * (`boundedOutOfOrder('5s')`). Windows downstream close by these watermarks.
   */
  eventTime(
    extractor: (value: T, context: RecordContext<K>) => number,
    watermarks: WatermarkStrategy,
  ): Stream<T, K> {
    return this.#next({
      kind: 'eventTime',
      inputs: [this.node.id],
      fn: this.#fn(extractor),
      maxOutOfOrderMs: watermarks.maxOutOfOrderMs,
      ...(watermarks.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: watermarks.idleTimeoutMs }),
    });
  }

  /** Transforms each value; the key stays. */
  map<U>(fn: (value: T, context: RecordContext<K>) => U): Stream<U, K> {
    return this.#next({ kind: 'map', inputs: [this.node.id], fn: this.#fn(fn) });
  }

  /** Keeps values the predicate accepts; a type guard narrows the stream's type. */
  filter<S extends T>(predicate: (value: T, context: RecordContext<K>) => value is S): Stream<S, K>;
  filter(predicate: (value: T, context: RecordContext<K>) => boolean): Stream<T, K>;
  filter(predicate: (value: T, context: RecordContext<K>) => boolean): Stream<T, K> {
    return this.#next({ kind: 'filter', inputs: [this.node.id], fn: this.#fn(predicate) });
  }

  /** Replaces each value by zero or more values (with the same key and timestamp). */
  flatMap<U>(fn: (value: T, context: RecordContext<K>) => Iterable<U>): Stream<U, K> {
    return this.#next({ kind: 'flatMap', inputs: [this.node.id], fn: this.#fn(fn) });
  }

  /** Calls `fn` for each value (logging, metrics) and passes the value on unchanged. */
  peek(fn: (value: T, context: RecordContext<K>) => void): Stream<T, K> {
    return this.#next({ kind: 'peek', inputs: [this.node.id], fn: this.#fn(fn) });
  }

  /** Interleaves this stream with others of the same type (order is kept within each input). */
  merge(...others: Stream<T, K>[]): Stream<T, K> {
    for (const other of others) {
      if (other.node.builder !== this.node.builder)
        throw new TypeError('merge: streams belong to different pipelines');
    }
    return this.#next({ kind: 'merge', inputs: [this.node.id, ...others.map((o) => o.node.id)] });
  }

  /**
   * Routes each value to the first branch whose predicate accepts it, or to `default`. Type-guard
   * predicates narrow their branch's type.
   */
  split<B extends Record<string, (value: T, context: RecordContext<K>) => boolean>>(
    name: string,
    branches: B,
  ): { [N in keyof B]: Stream<Guarded<T, B[N]>, K> } & { default: Stream<T, K> } {
    const names = Object.keys(branches);
    if (names.includes('default'))
      throw new TypeError(`split '${name}': 'default' is the name of the unmatched branch`);
    const branch = this.node.builder.add({
      kind: 'branch',
      inputs: [this.node.id],
      name,
      branchNames: names,
      predicates: names.map((n) => this.#fn(branches[n])),
    });
    const out = new Map<string, Stream<unknown, K>>();
    [...names, 'default'].forEach((branchName, index) => {
      const id = this.node.builder.add({ kind: 'branchOutput', inputs: [branch], index });
      out.set(branchName, new Stream({ builder: this.node.builder, id, keyFormat: this.node.keyFormat }));
    });
    return Object.fromEntries(out) as { [N in keyof B]: Stream<Guarded<T, B[N]>, K> } & {
      default: Stream<T, K>;
    };
  }

  /**
   * Keys each value by `fn` (JSON-encoded, so equal keys have equal bytes). A keyed aggregation after
   * this makes the runtime repartition the stream by the new key.
   */
  keyBy<K2 extends Key>(fn: (value: T, context: RecordContext<K>) => K2): KeyedStream<K2, T> {
    const id = this.node.builder.add({
      kind: 'keyBy',
      inputs: [this.node.id],
      fn: this.#fn(fn),
      keyFormat: jsonKey,
    });
    return new KeyedStream<K2, T>({ builder: this.node.builder, id, keyFormat: jsonKey });
  }

  #globalJoin<V, R>(
    join: 'inner' | 'left',
    table: GlobalTable<unknown, V>,
    keyOf: UserFunction,
    joiner: UserFunction,
  ): Stream<R, K> {
    const builder = this.node.builder;
    if (table.node.builder !== builder)
      throw new TypeError('join: the global table belongs to another pipeline');
    return this.#next<R>({
      kind: 'globalTableJoin',
      inputs: [this.node.id, table.node.id],
      join,
      keyFn: this.#fn(keyOf),
      fn: this.#fn(joiner),
      tableStore: table.storeName,
    });
  }

  /**
   * Joins each record with the row of a global table under the key `keyOf(value, key)` computes (no
   * repartition: every task holds the whole table); records without a row are dropped. The row is the
   * table as the task has read it so far (its topic is read to its end before other inputs at start).
   * Keeps the record's key.
   */
  join<TK, V, R>(
    table: GlobalTable<TK, V>,
    keyOf: (value: T, key: K) => TK | null | undefined,
    joiner: (value: T, row: V, key: K) => R,
  ): Stream<R, K> {
    return this.#globalJoin(
      'inner',
      table as GlobalTable<unknown, V>,
      keyOf as UserFunction,
      joiner as UserFunction,
    );
  }

  /** As `join` with a global table, but a record without a row is joined with undefined. */
  leftJoin<TK, V, R>(
    table: GlobalTable<TK, V>,
    keyOf: (value: T, key: K) => TK | null | undefined,
    joiner: (value: T, row: V | undefined, key: K) => R,
  ): Stream<R, K> {
    return this.#globalJoin(
      'left',
      table as GlobalTable<unknown, V>,
      keyOf as UserFunction,
      joiner as UserFunction,
    );
  }

  /**
   * Groups by the records' current key without repartitioning (Kafka Streams' `groupByKey`): for a
   * stream whose records are already partitioned by their key, such as a topic written by a producer
   * that partitions by murmur2 of the key bytes (Rivulet's and Kafka's default). Saves the repartition
   * topic a `keyBy` would write and read. The source's keys must be decoded (`topic(name, value, { key:
   * text() })` or `json()`), and no `keyBy` may come between the source and this call. At run time a
   * record without a key, or whose key hashes to another partition than the one it was read from, is
   * rejected (COPARTITION_MISMATCH) under the pipeline's error policy: its state would be split.
   */
  groupByKey(): KeyedStream<K & Key, T> {
    const id = this.node.builder.add({ kind: 'groupByKey', inputs: [this.node.id] });
    return new KeyedStream<K & Key, T>({ builder: this.node.builder, id, keyFormat: this.node.keyFormat });
  }

  /**
   * Event-time windows over the whole stream (not per key): every record is keyed by the constant
   * `'all'` and goes to one task, then windowed as `keyBy(...).window(spec, options)` would.
   */
  windowAll(spec: WindowSpec, options: WindowOptions = {}): WindowedStream<'all', T> {
    return this.keyBy(() => 'all' as const).window(spec, options);
  }

  /**
   * Maps with an async function, at most `concurrency` calls in flight (default 16); results keep the
   * input order per key.
   */
  mapAsync<U>(
    name: string,
    fn: (value: T, context: RecordContext<K>) => Promise<U>,
    options: { concurrency?: number } = {},
  ): Stream<U, K> {
    return this.#next({
      kind: 'mapAsync',
      inputs: [this.node.id],
      name,
      fn: this.#fn(fn),
      concurrency: options.concurrency ?? 16,
    });
  }

  /** Writes every value to the sink (a topic, keyed by the record's key; or a `blackhole()`). */
  to(name: string, sink: SinkSpec<T>): void;
  /**
   * Writes every value to an external system through a sink connector (`rivulet/connector`), encoded
   * with `value` (default `json()`). The pipeline writes to its outbox topic `<pipeline>-<name>-outbox`;
   * what a checkpoint commits there is delivered to the connector, in order per partition.
   */
  to(name: string, sink: SinkConnector, value?: Format<T>): void;
  to(name: string, sink: SinkSpec<T> | SinkConnector, value?: Format<T>): void {
    if (sink.kind === 'sink-connector') {
      if (typeof sink.open !== 'function')
        throw new EngineError('INVALID_ARGUMENT', `sink '${name}' is not a sink connector`);
      this.node.builder.add({
        kind: 'sink',
        inputs: [this.node.id],
        name,
        topic: `${this.node.builder.pipeline}-${name}-outbox`,
        keyFormat: this.node.keyFormat,
        valueFormat: formatSpecOf((value ?? json()) as Format<unknown>, (f) => this.node.builder.fn(f)),
        connector: this.node.builder.fn((() => sink) as UserFunction),
      });
      return;
    }
    const blackhole = sink.kind === 'blackhole';
    this.node.builder.add({
      kind: 'sink',
      inputs: [this.node.id],
      name,
      // A blackhole writes no topic; the name only identifies it.
      topic: blackhole ? `${this.node.builder.pipeline}-${name}-blackhole` : sink.topic,
      ...(blackhole ? { blackhole: true as const } : {}),
      keyFormat: this.node.keyFormat,
      valueFormat: formatSpecOf(sink.value, (f) => this.node.builder.fn(f)),
    });
  }
}

/** Milliseconds from a user duration (for options such as store TTLs). */
export function durationMs(value: Duration | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value);
}
