import { type Format, json } from './format.ts';

/** Something a stream can be read from, producing values of type T with keys of type K. */
export interface SourceSpec<out T, out K = unknown> {
  readonly kind: 'topic';
  readonly topic: string;
  readonly value: Format<unknown>;
  readonly key: Format<unknown>;
  readonly startFrom: 'earliest' | 'latest';
  readonly __produces?: () => T;
  readonly __keys?: () => K;
}

/** Something a stream of T can be written to (a sink of `unknown` accepts every stream). */
export interface SinkSpec<in T> {
  readonly kind: 'topic' | 'blackhole';
  readonly topic: string;
  readonly value: Format<unknown>;
  readonly __accepts?: (value: T) => void;
}

/**
 * A sink that drops every record (Flink's `blackhole` connector): for benchmarks that measure a pipeline
 * without the cost of its output, as the published Nexmark runs do. Values are not even encoded.
 */
export function blackhole(): SinkSpec<unknown> {
  return { kind: 'blackhole', topic: '', value: { spec: { kind: 'bytes' }, schema: undefined } };
}

/** A topic of the log, usable as a source of T and as a sink for T. */
export interface TopicSpec<T, K = unknown> extends SourceSpec<T, K>, Omit<SinkSpec<T>, 'kind'> {}

export interface TopicSpecOptions<K = unknown> {
  /** Where a pipeline starts reading when it has no checkpoint yet (default 'earliest'). */
  startFrom?: 'earliest' | 'latest';
  /**
   * How record keys are decoded (default: raw bytes as they are, typed `unknown`); `text()` or `json()`
   * keys can be grouped by as they are (`groupByKey()`).
   */
  key?: Format<K>;
}

/** A topic of the log with its value format (default `json()`: unvalidated JSON). */
export function topic<T = unknown, K = unknown>(
  name: string,
  value?: Format<T>,
  options: TopicSpecOptions<K> = {},
): TopicSpec<T, K> {
  return {
    kind: 'topic',
    topic: name,
    value: (value ?? json()) as Format<unknown>,
    key: (options.key as Format<unknown> | undefined) ?? { spec: { kind: 'bytes' }, schema: undefined },
    startFrom: options.startFrom ?? 'earliest',
  };
}
