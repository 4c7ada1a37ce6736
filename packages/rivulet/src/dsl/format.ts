import { EngineError, type Serde, type StandardSchemaV1 } from '../model/index.ts';
import type { FormatSpec, FunctionRef, UserFunction } from '../plan/index.ts';

/**
 * How a topic's values (or keys) are encoded, carrying the TypeScript type they decode to. The phantom
 * members make `Format` invariant in T; sources read it covariantly and sinks contravariantly
 * (see TopicSpec).
 */
export interface Format<T> {
  readonly spec: FormatSpec;
  /** The Standard Schema validator, when the format was built from one. */
  readonly schema: StandardSchemaV1 | undefined;
  /** The serde of a `custom` format (its spec is built when a pipeline uses it: see `formatSpecOf`). */
  readonly serde?: Serde<T>;
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

/**
 * Values encoded by a serde of your own (a compact binary encoding, Avro, Protobuf...). `decode` must
 * throw an EngineError('INVALID_RECORD') (or any error) on bytes it cannot read: the record then goes to
 * the `deserialize` error policy. For values only (keys: `text()`, `json()` or `bytes()`).
 */
export function custom<T>(serde: Serde<T>): Format<T> {
  if (
    typeof serde?.encode !== 'function' ||
    typeof serde.decode !== 'function' ||
    typeof serde.name !== 'string'
  )
    throw new EngineError('INVALID_ARGUMENT', 'custom(serde) needs { name, encode, decode }');
  return { spec: { kind: 'bytes' }, schema: undefined, serde };
}

/** The plan spec of a value format: a custom format's functions are added to the pipeline's function table. */
export function formatSpecOf(
  format: Format<unknown>,
  register: (f: UserFunction) => FunctionRef,
): FormatSpec {
  const serde = format.serde;
  if (serde === undefined) return format.spec;
  return {
    kind: 'custom',
    name: serde.name,
    encode: register(serde.encode.bind(serde)),
    decode: register(serde.decode.bind(serde)),
  };
}
