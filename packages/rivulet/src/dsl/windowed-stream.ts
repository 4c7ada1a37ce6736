import { type Duration, parseDuration } from '../model/index.ts';
import type { FormatSpec, UserFunction, WindowAggregateOp, WindowSpec } from '../plan/index.ts';
import type { DslNode } from './dsl-node.ts';
import { Stream } from './stream.ts';

const structuredValue: FormatSpec = Object.freeze({ kind: 'structured' });
const windowStoreKey: FormatSpec = Object.freeze({ kind: 'bytes' });

/** A windowed aggregation's result: the key, the window `[start, end)` and the value. */
export interface Windowed<K, V> {
  key: K;
  window: { start: number; end: number };
  value: V;
  /** Set on early results (`earlyEvery`): the window is still open. */
  early?: true;
}

export interface WindowOptions {
  /** `'final'` (default): one result per window when it closes; `'updates'`: a result after every change. */
  emit?: 'final' | 'updates';
  /**
   * With `emit: 'final'` (tumbling, hopping, session): also early results, marked `early: true`, of the
   * windows that changed, every `earlyEvery` of processing time; the final result still comes once.
   */
  earlyEvery?: Duration;
  /** How long after its end (in event time) a window still takes records (default 0). */
  allowedLateness?: Duration;
}

/**
 * The results of a windowed aggregation, keyed by K, as a stream; `late` is the stream of input records
 * that arrived after all their windows had closed (route it to a topic or a dead-letter topic: records
 * nobody reads from it are counted and dropped).
 */
export class WindowedResult<K, V, T> extends Stream<Windowed<K, V>, K> {
  readonly late: Stream<T, K>;

  /** @internal */
  constructor(node: DslNode, late: DslNode) {
    super(node);
    this.late = new Stream<T, K>(late);
  }
}

/** A keyed stream cut into event-time windows: the input of windowed aggregations. */
export class WindowedStream<K, T> {
  /** @internal */
  readonly node: DslNode;
  readonly #window: WindowSpec;
  readonly #options: WindowOptions;

  /** @internal */
  constructor(node: DslNode, window: WindowSpec, options: WindowOptions) {
    this.node = node;
    this.#window = window;
    this.#options = options;
  }

  #aggregate<V>(
    name: string,
    op: WindowAggregateOp,
    fns: { init?: unknown; add?: unknown; merge?: unknown; n?: number },
  ): WindowedResult<K, V, T> {
    const builder = this.node.builder;
    const id = builder.add({
      kind: 'windowAggregate',
      inputs: [this.node.id],
      name,
      window: this.#window,
      op,
      emit: this.#options.emit ?? 'final',
      ...(this.#options.earlyEvery === undefined
        ? {}
        : { earlyEveryMs: parseDuration(this.#options.earlyEvery) }),
      allowedLatenessMs:
        this.#options.allowedLateness === undefined ? 0 : parseDuration(this.#options.allowedLateness),
      store: { name, keyFormat: windowStoreKey, valueFormat: structuredValue },
      ...(fns.init === undefined ? {} : { init: builder.fn(fns.init as UserFunction) }),
      ...(fns.add === undefined ? {} : { add: builder.fn(fns.add as UserFunction) }),
      ...(fns.merge === undefined ? {} : { merge: builder.fn(fns.merge as UserFunction) }),
      ...(fns.n === undefined ? {} : { n: fns.n }),
    });
    const late = builder.add({ kind: 'windowLate', inputs: [id] });
    const keyFormat = this.node.keyFormat;
    return new WindowedResult<K, V, T>({ builder, id, keyFormat }, { builder, id: late, keyFormat });
  }

  /** Records per key and window. */
  count(name: string): WindowedResult<K, number, T> {
    return this.#aggregate(name, 'count', {});
  }

  /** Sum of `fn(value)` per key and window. */
  sum(name: string, fn: (value: T) => number): WindowedResult<K, number, T> {
    return this.#aggregate(name, 'sum', { add: fn });
  }

  /** Smallest `fn(value)` per key and window. */
  min(name: string, fn: (value: T) => number): WindowedResult<K, number, T> {
    return this.#aggregate(name, 'min', { add: fn });
  }

  /** Largest `fn(value)` per key and window. */
  max(name: string, fn: (value: T) => number): WindowedResult<K, number, T> {
    return this.#aggregate(name, 'max', { add: fn });
  }

  /** Mean of `fn(value)` per key and window. */
  avg(name: string, fn: (value: T) => number): WindowedResult<K, number, T> {
    return this.#aggregate(name, 'avg', { add: fn });
  }

  /**
   * Distinct values of `fn(value)` per key and window: exact (the window keeps every distinct value's
   * JSON), or with `{ approximate: true }` a HyperLogLog estimate (2.3% standard error, 2 KiB per window).
   */
  countDistinct(
    name: string,
    fn: (value: T) => unknown,
    options: { approximate?: boolean } = {},
  ): WindowedResult<K, number, T> {
    return this.#aggregate(name, options.approximate === true ? 'approxCountDistinct' : 'countDistinct', {
      add: fn,
    });
  }

  /** The `n` values with the largest `by(value)` per key and window, largest first. */
  topN(name: string, n: number, by: (value: T) => number): WindowedResult<K, T[], T> {
    return this.#aggregate(name, 'topN', { add: by, n });
  }

  /**
   * Folds the values of each key and window into an accumulator that starts as `init()`. `merge`
   * combines two accumulators; session windows need it (they merge when a record bridges two sessions).
   */
  aggregate<A>(
    name: string,
    init: () => A,
    add: (accumulator: A, value: T, key: K) => A,
    merge?: (a: A, b: A, key: K) => A,
  ): WindowedResult<K, A, T> {
    return this.#aggregate(name, 'aggregate', { init, add, ...(merge === undefined ? {} : { merge }) });
  }
}
