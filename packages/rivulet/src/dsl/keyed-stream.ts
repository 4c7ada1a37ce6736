import { type Duration, parseDuration } from '../model/index.ts';
import type { AggregateOp, FormatSpec, StoreSpec, UserFunction, WindowSpec } from '../plan/index.ts';
import type { DslNode } from './dsl-node.ts';
import { JoinedStream, type StreamJoinOptions } from './joined-stream.ts';
import type { Match, Pattern } from './pattern.ts';
import { patternProcessor } from './pattern-processor.ts';
import type { Processor, StoreDefinition } from './processor.ts';
import { durationMs, Stream } from './stream.ts';
import { Table } from './table.ts';
import {
  type Crossing,
  crossesProcessor,
  dedupeProcessor,
  type Silence,
  sampleProcessor,
  silenceProcessor,
  throttleProcessor,
} from './time-processors.ts';
import { WindowedStream, type WindowOptions } from './windowed-stream.ts';

const structuredValue: FormatSpec = Object.freeze({ kind: 'structured' });
const numberValue: FormatSpec = Object.freeze({ kind: 'float64' });
const joinStoreKey: FormatSpec = Object.freeze({ kind: 'bytes' });

/** Options of a temporal join (`joinAsOf`, `leftJoinAsOf`). */
export interface TemporalJoinOptions {
  /**
   * How far behind the join's watermark a table version may still arrive and take effect (default 0):
   * older ones are late. A deletion is remembered that long behind the watermark, so that older versions
   * arriving after it cannot bring the row back.
   */
  history?: Duration;
}

/** A stream grouped by key K: the input of keyed aggregations and processors. */
export class KeyedStream<K, T> {
  /** @internal */
  readonly node: DslNode;

  /** @internal */
  constructor(node: DslNode) {
    this.node = node;
  }

  #aggregate<V>(
    name: string,
    op: AggregateOp,
    fns: { init?: unknown; add?: unknown },
    valueFormat: FormatSpec,
  ): Table<K, V> {
    const builder = this.node.builder;
    const store: StoreSpec = { name, keyFormat: this.node.keyFormat, valueFormat };
    const id = builder.add({
      kind: 'aggregate',
      inputs: [this.node.id],
      name,
      op,
      store,
      ...(fns.init === undefined ? {} : { init: builder.fn(fns.init as UserFunction) }),
      ...(fns.add === undefined ? {} : { add: builder.fn(fns.add as UserFunction) }),
    });
    return new Table<K, V>({ builder, id, keyFormat: this.node.keyFormat }, name);
  }

  /** Combines the values of each key pairwise; the first value of a key is its initial result. */
  reduce(name: string, fn: (accumulator: T, value: T) => T): Table<K, T> {
    return this.#aggregate(name, 'reduce', { add: fn }, structuredValue);
  }

  /** Folds the values of each key into an accumulator that starts as `init()`. */
  aggregate<A>(name: string, init: () => A, add: (accumulator: A, value: T, key: K) => A): Table<K, A> {
    return this.#aggregate(name, 'aggregate', { init, add }, structuredValue);
  }

  /** Records per key. */
  count(name: string): Table<K, number> {
    return this.#aggregate(name, 'count', {}, numberValue);
  }

  /** Sum of `fn(value)` per key. */
  sum(name: string, fn: (value: T) => number): Table<K, number> {
    return this.#aggregate(name, 'sum', { add: fn }, numberValue);
  }

  /** Smallest `fn(value)` per key. */
  min(name: string, fn: (value: T) => number): Table<K, number> {
    return this.#aggregate(name, 'min', { add: fn }, numberValue);
  }

  /** Largest `fn(value)` per key. */
  max(name: string, fn: (value: T) => number): Table<K, number> {
    return this.#aggregate(name, 'max', { add: fn }, numberValue);
  }

  /**
   * Cuts the stream into event-time windows (`tumbling(size)`, `hopping(size, advance)`) for a windowed
   * aggregation; needs `eventTime(...)` upstream.
   */
  window(spec: WindowSpec, options: WindowOptions = {}): WindowedStream<K, T> {
    return new WindowedStream<K, T>(this.node, spec, options);
  }

  /**
   * Drops a record when its key kept one less than `within` of event time before (or after) it; the
   * memory of a key ends when the watermark passes `within` after its kept record. Needs event time.
   */
  dedupe(name: string, within: Duration): Stream<T, K> {
    const store = `${name}-first`;
    return this.process(name, dedupeProcessor<K, T>(parseDuration(within), store), {
      stores: [{ name: store }],
    });
  }

  /**
   * Finds `pattern` in each key's records, in event-time order (records wait in state until the
   * watermark passes them). `matches` carries every complete match, overlapping ones included;
   * `late` the records that came after their key's records at that time were matched.
   */
  match(name: string, pattern: Pattern<T>): { matches: Stream<Match<T, K>, K>; late: Stream<T, K> } {
    const store = `${name}-nfa`;
    const out = this.process(name, patternProcessor<T, K>(pattern, store), { stores: [{ name: store }] });
    const routes = out.split(`${name}-routes`, { matched: (o) => 'match' in o });
    return {
      matches: routes.matched.map((o) => (o as { match: Match<T, K> }).match),
      late: routes.default.map((o) => (o as { late: T }).late),
    };
  }

  /**
   * Passes a key's first record, then drops its records for `interval` of event time after it (and any
   * older than the last passed one); the next record after that passes and starts a new interval.
   */
  throttle(name: string, interval: Duration): Stream<T, K> {
    const store = `${name}-passed`;
    return this.process(name, throttleProcessor<K, T>(parseDuration(interval), store), {
      stores: [{ name: store }],
    });
  }

  /**
   * Per key and interval of event time, the latest record, emitted once the watermark passes the
   * interval's end (with that end as its time). A record for an interval already emitted gives it
   * another sample at the next watermark. Needs event time.
   */
  sample(name: string, interval: Duration): Stream<T, K> {
    const store = `${name}-latest`;
    return this.process(name, sampleProcessor<K, T>(parseDuration(interval), store), {
      stores: [{ name: store }],
    });
  }

  /**
   * Emits `{ key, direction, value, threshold }` when `measure(value)` of a key reaches `threshold`
   * (`up`, from below) or falls under it again (`down`): once per crossing, not per record. A key starts
   * below.
   */
  crosses(name: string, threshold: number, measure: (value: T) => number): Stream<Crossing<K>, K> {
    const store = `${name}-side`;
    return this.#process(
      name,
      crossesProcessor<K, T>(threshold, measure, store),
      { stores: [{ name: store }] },
      'crosses',
    );
  }

  /**
   * Emits `{ key, lastSeen, silentSince }` once a key had no record for `gap` after its latest one, by
   * event time (default: fired by the watermark) or by processing time (`{ time: 'processing' }`).
   */
  silence(
    name: string,
    gap: Duration,
    options: { time?: 'event' | 'processing' } = {},
  ): Stream<Silence<K>, K> {
    const store = `${name}-last`;
    return this.#process(
      name,
      silenceProcessor<K, T>(parseDuration(gap), options.time ?? 'event', store),
      { stores: [{ name: store }] },
      'silence',
    );
  }

  /**
   * The latest value per key as a table kept in the store `name` (Kafka Streams' `toTable`): a record
   * with a null value deletes its key.
   */
  toTable(name: string): Table<K, T, null> {
    const builder = this.node.builder;
    const id = builder.add({
      kind: 'toTable',
      inputs: [this.node.id],
      store: { name, keyFormat: this.node.keyFormat, valueFormat: structuredValue },
    });
    return new Table<K, T, null>({ builder, id, keyFormat: this.node.keyFormat }, name);
  }

  #join<V, R>(join: 'inner' | 'left', table: Table<K, V, null>, joiner: UserFunction): Stream<R, K> {
    const builder = this.node.builder;
    if (table.node.builder !== builder) throw new TypeError('join: the table belongs to another pipeline');
    const id = builder.add({
      kind: 'streamTableJoin',
      inputs: [this.node.id, table.node.id],
      join,
      fn: builder.fn(joiner),
      tableStore: table.storeName,
      keyFormat: this.node.keyFormat,
    });
    return new Stream<R, K>({ builder, id, keyFormat: this.node.keyFormat });
  }

  #streamJoin<U, R>(
    join: 'inner' | 'left' | 'outer',
    name: string,
    other: KeyedStream<K, U>,
    within: Duration,
    joiner: UserFunction,
    options: StreamJoinOptions = {},
  ): JoinedStream<R, K, T, U> {
    const builder = this.node.builder;
    if (other.node.builder !== builder)
      throw new TypeError(`join '${name}': the streams belong to different pipelines`);
    const keyFormat = this.node.keyFormat;
    const id = builder.add({
      kind: 'streamStreamJoin',
      inputs: [this.node.id, other.node.id],
      name,
      join,
      withinMs: parseDuration(within),
      allowedLatenessMs: options.allowedLateness === undefined ? 0 : parseDuration(options.allowedLateness),
      fn: builder.fn(joiner),
      store: { name, keyFormat: joinStoreKey, valueFormat: structuredValue },
      keyFormats: [keyFormat, other.node.keyFormat],
    });
    const late = builder.add({ kind: 'windowLate', inputs: [id] });
    return new JoinedStream<R, K, T, U>({ builder, id, keyFormat }, { builder, id: late, keyFormat });
  }

  /**
   * A stream-stream join (Kafka Streams' `JoinWindows.of(within)`): a record l of this stream at time tl
   * and a record r of `other` at tr with the same key join iff |tl - tr| <= within (both ends
   * inclusive). Each such pair becomes `joiner(l, r, key)` once, when the later-processed of the two
   * arrives, with timestamp max(tl, tr); which pairs there are does not depend on how the two streams
   * interleave. Both streams need event time, and the same key type and key format (`keyBy` on both, or
   * `groupByKey` on co-partitioned topics with the same key format). Records wait in the store `name`
   * until the watermark (the smaller of the two streams') passes their time + within + allowedLateness.
   * A record more than `allowedLateness` behind the watermark when it arrives could miss records already
   * dropped: it goes to `late` as `{ side, value }` instead, never joined.
   */
  join<U, R>(
    name: string,
    other: KeyedStream<K, U>,
    within: Duration,
    joiner: (left: T, right: U, key: K) => R,
    options?: StreamJoinOptions,
  ): JoinedStream<R, K, T, U>;
  /**
   * Joins each record with its key's current row of `table` (a stream-table join): records whose key
   * has no row are dropped. The row is the table as this task has read it so far: a table's topic is
   * read to its end before the first record of other inputs, then ahead of them in every step; table
   * changes do not emit anything. The stream must be partitioned like the table (a `keyBy` before the
   * join repartitions it to the table's partition count).
   */
  join<V, R>(table: Table<K, V, null>, joiner: (value: T, row: V, key: K) => R): Stream<R, K>;
  join(
    first: string | Table<K, unknown, null>,
    second: KeyedStream<K, unknown> | UserFunction,
    within?: Duration,
    joiner?: UserFunction,
    options?: StreamJoinOptions,
  ): Stream<unknown, K> {
    return this.#anyJoin('inner', first, second, within, joiner, options);
  }

  /** The overloads' dispatch: a name first means a stream-stream join, a table a stream-table join. */
  #anyJoin(
    join: 'inner' | 'left',
    first: string | Table<K, unknown, null>,
    second: KeyedStream<K, unknown> | UserFunction,
    within: Duration | undefined,
    joiner: UserFunction | undefined,
    options: StreamJoinOptions | undefined,
  ): Stream<unknown, K> {
    if (typeof first === 'string')
      return this.#streamJoin(join, first, second as KeyedStream<K, unknown>, within!, joiner!, options);
    return this.#join(join, first, second as UserFunction);
  }

  /**
   * As the stream-stream `join`, and each record of this stream that joined nothing is emitted once as
   * `joiner(l, undefined, key)` with its own time tl, when the watermark passes tl + within +
   * allowedLateness: never before, so no later pair contradicts it.
   */
  leftJoin<U, R>(
    name: string,
    other: KeyedStream<K, U>,
    within: Duration,
    joiner: (left: T, right: U | undefined, key: K) => R,
    options?: StreamJoinOptions,
  ): JoinedStream<R, K, T, U>;
  /** As the table `join`, but a record whose key has no row is joined with undefined instead of dropped. */
  leftJoin<V, R>(table: Table<K, V, null>, joiner: (value: T, row: V | undefined, key: K) => R): Stream<R, K>;
  leftJoin(
    first: string | Table<K, unknown, null>,
    second: KeyedStream<K, unknown> | UserFunction,
    within?: Duration,
    joiner?: UserFunction,
    options?: StreamJoinOptions,
  ): Stream<unknown, K> {
    return this.#anyJoin('left', first, second, within, joiner, options);
  }

  /**
   * As `leftJoin` (stream-stream), and also each record of `other` that joined nothing is emitted once as
   * `joiner(undefined, r, key)` with its own time tr, when the watermark passes tr + within +
   * allowedLateness.
   */
  outerJoin<U, R>(
    name: string,
    other: KeyedStream<K, U>,
    within: Duration,
    joiner: (left: T | undefined, right: U | undefined, key: K) => R,
    options?: StreamJoinOptions,
  ): JoinedStream<R, K, T, U> {
    return this.#streamJoin('outer', name, other, within, joiner as UserFunction, options);
  }

  #temporalJoin<V, D extends null, R>(
    join: 'inner' | 'left',
    name: string,
    table: Table<K, V, D>,
    joiner: UserFunction,
    options: TemporalJoinOptions,
  ): JoinedStream<R, K, T, V | D> {
    const builder = this.node.builder;
    if (table.node.builder !== builder)
      throw new TypeError(`join '${name}': the table belongs to another pipeline`);
    const keyFormat = this.node.keyFormat;
    const id = builder.add({
      kind: 'temporalJoin',
      inputs: [this.node.id, table.node.id],
      name,
      join,
      historyMs: options.history === undefined ? 0 : parseDuration(options.history),
      fn: builder.fn(joiner),
      store: { name, keyFormat: joinStoreKey, valueFormat: structuredValue },
      tableStore: table.storeName,
      keyFormat,
    });
    const late = builder.add({ kind: 'windowLate', inputs: [id] });
    return new JoinedStream<R, K, T, V | D>({ builder, id, keyFormat }, { builder, id: late, keyFormat });
  }

  /**
   * A temporal join (as of event time, Flink's event-time temporal join): each record of key k at time t
   * joins the version of k's row in `table` valid at t, the one written with the largest time <= t
   * (records without a row, or whose row was deleted by then, are dropped). The table's versions are
   * the records written to it, deletions included, each at its event time: both the stream and the
   * records the table is built from need event time (`from(...).eventTime(...).groupByKey().toTable(n)`;
   * a `pipeline.table` has none). Records wait in the store `name` until the join's watermark (the
   * smaller of the stream's and the table's) passes t, then are emitted with their key, time and
   * headers: so the results do not depend on how the stream and the table's changes interleave. A record
   * already behind the watermark, or a version more than `history` behind it, goes to `late` as
   * `{ side: 'left' | 'right', value }`. Same key type and key format as the table.
   */
  joinAsOf<V, R, D extends null = never>(
    name: string,
    table: Table<K, V, D>,
    joiner: (value: T, row: V, key: K) => R,
    options: TemporalJoinOptions = {},
  ): JoinedStream<R, K, T, V | D> {
    return this.#temporalJoin<V, D, R>('inner', name, table, joiner as UserFunction, options);
  }

  /** As `joinAsOf`, but a record without a row at its time is joined with undefined instead of dropped. */
  leftJoinAsOf<V, R, D extends null = never>(
    name: string,
    table: Table<K, V, D>,
    joiner: (value: T, row: V | undefined, key: K) => R,
    options: TemporalJoinOptions = {},
  ): JoinedStream<R, K, T, V | D> {
    return this.#temporalJoin<V, D, R>('left', name, table, joiner as UserFunction, options);
  }

  /** Low-level processing with per-key stores (declared in `options.stores`). */
  process<U>(
    name: string,
    processor: Processor<K, T, U>,
    options: { stores?: StoreDefinition[] } = {},
  ): Stream<U, K> {
    return this.#process(name, processor, options, undefined);
  }

  /** `process`, marked as a built-in alerting operator when `alert` is given (ProcessNode.alert). */
  #process<U>(
    name: string,
    processor: Processor<K, T, U>,
    options: { stores?: StoreDefinition[] },
    alert: 'crosses' | 'silence' | undefined,
  ): Stream<U, K> {
    const builder = this.node.builder;
    const stores: StoreSpec[] = (options.stores ?? []).map((s) => {
      const ttlMs = durationMs(s.ttl);
      return {
        name: s.name,
        keyFormat: this.node.keyFormat,
        valueFormat: structuredValue,
        ...(ttlMs === undefined ? {} : { ttlMs }),
        ...(s.keepDecoded === true ? { keepDecoded: true as const } : {}),
      };
    });
    const timerStore: StoreSpec = {
      name: `${name}-timers`,
      keyFormat: { kind: 'bytes' },
      valueFormat: structuredValue,
    };
    const onTimer = processor.onTimer;
    const id = builder.add({
      kind: 'process',
      inputs: [this.node.id],
      name,
      fn: builder.fn(processor.process.bind(processor) as UserFunction),
      ...(onTimer === undefined ? {} : { onTimer: builder.fn(onTimer.bind(processor) as UserFunction) }),
      stores,
      timerStore,
      ...(alert === undefined ? {} : { alert }),
    });
    return new Stream<U, K>({ builder, id, keyFormat: this.node.keyFormat });
  }
}
