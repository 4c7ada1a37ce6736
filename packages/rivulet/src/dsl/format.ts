import type { StandardSchemaV1 } from '../model/index.ts';
import type { FormatSpec } from '../plan/index.ts';

/**
 * How a topic's values (or keys) are encoded, carrying the TypeScript type they decode to. The phantom
 * members make `Format` invariant in T; sources read it covariantly and sinks contravariantly
 * (see TopicSpec).
 */
export interface Format<T> {
  readonly spec: FormatSpec;
  /** The Standard Schema validator, when the format was built from one. */
  readonly schema: StandardSchemaV1 | undefined;
  readonly __decodes?: () => T;
  readonly __encodes?: (value: T) => void;
}

/** JSON values; with a Standard Schema (zod, valibot...) every record is validated and typed by it. */
export function json<S extends StandardSchemaV1>(schema: S): Format<StandardSchemaV1.InferOutput<S>>;
/** JSON values, unvalidated: `unknown` until narrowed (or give the type: `json<Order>()`). */
export function json<T = unknown>(): Format<T>;
export function json(schema?: StandardSchemaV1): Format<unknown> {
  return { spec: { kind: 'json' }, schema };
}

/** UTF-8 text. */
export function text(): Format<string> {
  return { spec: { kind: 'string' }, schema: undefined };
}

/** Raw bytes. */
export function bytes(): Format<Uint8Array> {
  return { spec: { kind: 'bytes' }, schema: undefined };
}
