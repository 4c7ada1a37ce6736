import type { SourceConnector } from '../connector/index.ts';
import { EngineError } from '../model/index.ts';
import {
  explainPlan,
  type FunctionRef,
  type Plan,
  PlanBuilder,
  type PlanIssue,
  type UserFunction,
  validatePlan,
} from '../plan/index.ts';
import { type Format, formatSpecOf, json } from './format.ts';
import type { GeneratorSource } from './generator-source.ts';
import { GlobalTable } from './global-table.ts';
import type { Key } from './record-context.ts';
import { Stream } from './stream.ts';
import { Table } from './table.ts';
import { type SourceSpec, topic } from './topic-spec.ts';

/**
 * A pipeline under construction: add sources with `from`, build streams from them, and hand the
 * pipeline to the engine (or `plan()` it to inspect). Every source, sink and stateful operator has a
 * user-given name, unique in the pipeline.
 */
export class Pipeline {
  readonly name: string;
  readonly #builder: PlanBuilder;

  constructor(name: string) {
    this.name = name;
    this.#builder = new PlanBuilder(name);
  }

  /**
   * Reads a source; the stream's type comes from the source's format (schema), or the generator's
   * values (records without keys; their timestamp is the processing time they were generated at).
   */
  from<T, K = unknown>(name: string, source: SourceSpec<T, K>): Stream<T, K>;
  from<T>(name: string, source: GeneratorSource<T>): Stream<T, unknown>;
  /**
   * Reads an external system through a connector (`rivulet/connector`): values decoded with `value`
   * (default `json()`), keys with `options.key` (default raw bytes). What the connector reads is first
   * appended to the pipeline's ingest topic `<pipeline>-<name>-ingest` (one partition per split), and
   * acknowledged to the external system only once a checkpoint holds it.
   */
  from<T = unknown, K = unknown>(
    name: string,
    source: SourceConnector,
    value?: Format<T>,
    options?: { key?: Format<K> },
  ): Stream<T, K>;
  from<T, K = unknown>(
    name: string,
    source: SourceSpec<T, K> | GeneratorSource<T> | SourceConnector,
    value?: Format<T>,
    options: { key?: Format<K> } = {},
  ): Stream<T, K> {
    if (source.kind === 'source-connector') {
      if (typeof source.open !== 'function' || typeof source.splits !== 'function')
        throw new EngineError('INVALID_ARGUMENT', `source '${name}' is not a source connector`);
      const spec = topic(`${this.name}-${name}-ingest`, (value ?? json()) as Format<unknown>, {
        key: options.key as Format<unknown> | undefined,
      });
      const id = this.#source(name, spec, undefined, this.#builder.fn((() => source) as UserFunction));
      return new Stream<T, K>({ builder: this.#builder, id, keyFormat: spec.key.spec });
    }
    if (source.kind === 'generator') {
      const keyFormat = { kind: 'bytes' as const };
      const id = this.#builder.add({
        kind: 'source',
        inputs: [],
        name,
        topic: `${this.name}-${name}-generator`,
        keyFormat,
        valueFormat: { kind: 'structured' },
        startFrom: 'earliest',
        generator: {
          partitions: source.partitions,
          size: this.#builder.fn(source.size.bind(source) as UserFunction),
          open: this.#builder.fn(source.open.bind(source) as UserFunction),
        },
      });
      return new Stream<T, K>({ builder: this.#builder, id, keyFormat });
    }
    const id = this.#source(name, source, undefined);
    return new Stream<T, K>({ builder: this.#builder, id, keyFormat: source.key.spec });
  }

  #source(
    name: string,
    source: SourceSpec<unknown, unknown>,
    role: 'table' | 'globalTable' | undefined,
    connector?: FunctionRef,
  ): number {
    const value = source.value;
    if (source.key.serde !== undefined)
      throw new EngineError('INVALID_ARGUMENT', `source '${name}': custom formats are for values, not keys`);
    const valueFormat =
      value.schema === undefined
        ? formatSpecOf(value, (f) => this.#builder.fn(f))
        : { kind: 'json' as const, schema: this.#builder.fn(validatorOf(value.schema)) };
    return this.#builder.add({
      kind: 'source',
      inputs: [],
      name,
      topic: source.topic,
      keyFormat: source.key.spec,
      valueFormat,
      startFrom: source.startFrom,
      ...(role === undefined ? {} : { role }),
      ...(connector === undefined ? {} : { connector }),
    });
  }

  /**
   * A table read from a topic (ideally compacted): the latest value per record key, a tombstone (null
   * value) deleting it, kept in the store `name`. The topic must be partitioned by its keys (as
   * `groupByKey` requires) and its key format must decode them (`topic(name, json<V>(), { key: text()
   * })`). A task reads the topic to its end as of its start before the first record of its other inputs.
   */
  table<V, K = unknown>(name: string, source: SourceSpec<V, K>): Table<K & Key, V, null> {
    const id = this.#source(name, source, 'table');
    const keyed = this.#builder.add({ kind: 'groupByKey', inputs: [id] });
    const table = this.#builder.add({
      kind: 'toTable',
      inputs: [keyed],
      store: { name, keyFormat: source.key.spec, valueFormat: { kind: 'structured' } },
    });
    return new Table<K & Key, V, null>(
      { builder: this.#builder, id: table, keyFormat: source.key.spec },
      name,
    );
  }

  /**
   * A global table read from a topic: the latest value per record key (tombstones delete), kept in full
   * by every task that joins it, which reads all of the topic's partitions from the start at every start
   * before its other inputs (so it is not checkpointed and needs no co-partitioning). For small reference
   * data; the key format must decode keys (`text()` or `json()`).
   */
  globalTable<V, K = unknown>(name: string, source: SourceSpec<V, K>): GlobalTable<K & Key, V> {
    const id = this.#source(name, source, 'globalTable');
    const table = this.#builder.add({
      kind: 'toTable',
      inputs: [id],
      store: { name, keyFormat: source.key.spec, valueFormat: { kind: 'structured' }, global: true },
    });
    return new GlobalTable<K & Key, V>(
      { builder: this.#builder, id: table, keyFormat: source.key.spec },
      name,
    );
  }

  /** Every problem of the pipeline as built so far. */
  validate(): PlanIssue[] {
    return validatePlan(this.#builder.build());
  }

  /** The frozen plan; throws INVALID_PLAN listing every issue when it cannot run. */
  plan(): Plan {
    const plan = this.#builder.build();
    const issues = validatePlan(plan);
    if (issues.length > 0) {
      throw new EngineError(
        'INVALID_PLAN',
        `pipeline '${this.name}' has ${issues.length} problem(s):\n${issues.map((i) => `- ${i.operator}: ${i.message} (${i.code})`).join('\n')}`,
        {
          details: { pipeline: this.name, issues },
        },
      );
    }
    return plan;
  }

  /** The topology as text (sub-topologies, repartition topics, stores). */
  explain(): string {
    return explainPlan(this.#builder.build());
  }
}

/** Starts a pipeline definition. */
export function pipeline(name: string): Pipeline {
  return new Pipeline(name);
}

/** Wraps a Standard Schema into a synchronous validator: returns the parsed value or throws INVALID_RECORD. */
function validatorOf(schema: { '~standard': { validate: (value: unknown) => unknown } }): UserFunction {
  const validate = (value: unknown): unknown => {
    const result = schema['~standard'].validate(value) as
      | { value?: unknown; issues?: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> }> }
      | Promise<unknown>;
    if (result instanceof Promise)
      throw new EngineError('INVALID_ARGUMENT', 'async schemas are not supported for sources');
    if (result.issues !== undefined) {
      const first = result.issues[0];
      const path = first?.path
        ?.map((p) =>
          typeof p === 'object' && p !== null && 'key' in p ? String((p as { key: unknown }).key) : String(p),
        )
        .join('.');
      throw new EngineError(
        'INVALID_RECORD',
        `schema violation${path ? ` at ${path}` : ''}: ${first?.message ?? 'invalid'}`,
        { details: { issues: result.issues } },
      );
    }
    return result.value;
  };
  return validate as UserFunction;
}
