import { type Format, json } from './format.ts';

/** Something a stream can be read from, producing values of type T. */
export interface SourceSpec<out T> {
  readonly kind: 'topic';
  readonly topic: string;
  readonly value: Format<unknown>;
  readonly key: Format<unknown>;
  readonly startFrom: 'earliest' | 'latest';
  readonly __produces?: () => T;
}

/** Something a stream of T can be written to (a sink of `unknown` accepts every stream). */
export interface SinkSpec<in T> {
  readonly kind: 'topic';
  readonly topic: string;
  readonly value: Format<unknown>;
  readonly __accepts?: (value: T) => void;
}

/** A topic of the log, usable as a source of T and as a sink for T. */
export interface TopicSpec<T> extends SourceSpec<T>, SinkSpec<T> {}

export interface TopicSpecOptions {
  /** Where a pipeline starts reading when it has no checkpoint yet (default 'earliest'). */
  startFrom?: 'earliest' | 'latest';
  /** How record keys are encoded (default: raw bytes as they are). */
  key?: Format<unknown>;
}

/** A topic of the log with its value format (default `json()`: unvalidated JSON). */
export function topic<T = unknown>(
  name: string,
  value?: Format<T>,
  options: TopicSpecOptions = {},
): TopicSpec<T> {
  return {
    kind: 'topic',
    topic: name,
    value: (value ?? json()) as Format<unknown>,
    key: options.key ?? { spec: { kind: 'bytes' }, schema: undefined },
    startFrom: options.startFrom ?? 'earliest',
  };
}
