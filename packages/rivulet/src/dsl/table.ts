import type { FormatSpec, UserFunction } from '../plan/index.ts';
import type { DslNode } from './dsl-node.ts';
import { GlobalTable } from './global-table.ts';
import { Stream } from './stream.ts';

const structuredValue: FormatSpec = Object.freeze({ kind: 'structured' });

/**
 * A table: the latest value per key, kept in a named store and queryable by that name. Its changelog
 * (one record per change) is available as a stream. `D` is `null` for tables whose keys can be deleted
 * (read from a topic with tombstones, or filtered): their changelog carries deletions as null values.
 */
export class Table<K, V, D extends null = never> {
  /** @internal */
  readonly node: DslNode;
  /** The store holding the table (also its changelog topic's and metrics' name). */
  readonly storeName: string;

  /** @internal */
  constructor(node: DslNode, storeName: string) {
    this.node = node;
    this.storeName = storeName;
  }

  /** The table's changes as a stream keyed by the table's key (a deletion is a null value). */
  toStream(): Stream<V | D, K> {
    const id = this.node.builder.add({ kind: 'toStream', inputs: [this.node.id] });
    return new Stream<V | D, K>({ builder: this.node.builder, id, keyFormat: this.node.keyFormat });
  }

  #derive<U, D2 extends null>(name: string, fns: { map?: unknown; filter?: unknown }): Table<K, U, D2> {
    const builder = this.node.builder;
    const id = builder.add({
      kind: 'toTable',
      inputs: [this.node.id],
      store: { name, keyFormat: this.node.keyFormat, valueFormat: structuredValue },
      ...(fns.map === undefined ? {} : { map: builder.fn(fns.map as UserFunction) }),
      ...(fns.filter === undefined ? {} : { filter: builder.fn(fns.filter as UserFunction) }),
    });
    return new Table<K, U, D2>({ builder, id, keyFormat: this.node.keyFormat }, name);
  }

  /** A table of `fn(value, key)` per key, kept in the store `name`; deletions stay deletions. */
  mapValues<U>(name: string, fn: (value: V, key: K) => U): Table<K, U, D> {
    return this.#derive<U, D>(name, { map: fn });
  }

  /**
   * The rows that `predicate` accepts, kept in the store `name`: a row it rejects is not in the table,
   * and a key whose new value it rejects is deleted (a null in the changelog, if the key was there).
   */
  filter(name: string, predicate: (value: V, key: K) => boolean): Table<K, V, null> {
    return this.#derive<V, null>(name, { filter: predicate });
  }

  #tableJoin<W, D2 extends null, R>(
    join: 'inner' | 'left' | 'outer',
    name: string,
    right: Table<K, W, D2>,
    joiner: UserFunction,
  ): Table<K, R, null> {
    const builder = this.node.builder;
    if (right.node.builder !== builder)
      throw new TypeError(`join '${name}': the tables belong to different pipelines`);
    const id = builder.add({
      kind: 'tableTableJoin',
      inputs: [this.node.id, right.node.id],
      name,
      join,
      fn: builder.fn(joiner),
      store: { name, keyFormat: this.node.keyFormat, valueFormat: structuredValue },
      tableStores: [this.storeName, right.storeName],
    });
    return new Table<K, R, null>({ builder, id, keyFormat: this.node.keyFormat }, name);
  }

  /**
   * A table-table join on the key (Kafka Streams' KTable-KTable join), kept in the store `name`: a key
   * has the row `joiner(left, right, key)` while both tables have a row for it, and no row otherwise
   * (nor when the joiner returns null or undefined). Every change of either table recomputes its key's row
   * from the change and the other table's current row (processing order, as the task reads its
   * inputs); the result's changelog has a record only when the row changes or disappears. Both tables
   * need the same key type and key format and must be partitioned alike (tables of the same pipeline);
   * an aggregation's table joins through `mapValues`.
   */
  join<W, R, D2 extends null = never>(
    name: string,
    right: Table<K, W, D2>,
    joiner: (left: V, right: W, key: K) => R,
  ): Table<K, R, null> {
    return this.#tableJoin<W, D2, R>('inner', name, right, joiner as UserFunction);
  }

  /** As `join`, but a key with a row in this table only has `joiner(left, undefined, key)` as its row. */
  leftJoin<W, R, D2 extends null = never>(
    name: string,
    right: Table<K, W, D2>,
    joiner: (left: V, right: W | undefined, key: K) => R,
  ): Table<K, R, null> {
    return this.#tableJoin<W, D2, R>('left', name, right, joiner as UserFunction);
  }

  /**
   * As `leftJoin`, and a key with a row in `right` only has `joiner(undefined, right, key)` as its row:
   * a key has a row while either table has one.
   */
  outerJoin<W, R, D2 extends null = never>(
    name: string,
    right: Table<K, W, D2>,
    joiner: (left: V | undefined, right: W | undefined, key: K) => R,
  ): Table<K, R, null> {
    return this.#tableJoin<W, D2, R>('outer', name, right, joiner as UserFunction);
  }

  /**
   * A global copy of this table, for foreign-key joins: the same topic read whole by every task that
   * joins it (a second source named `<name>-global`, store `<name>-global`). Only tables read from a
   * topic (`pipeline.table`) have one.
   */
  #globalTwin(): GlobalTable<K, V> {
    const builder = this.node.builder;
    const table = builder.node(this.node.id);
    const keyed =
      table?.kind === 'toTable' && table.map === undefined && table.filter === undefined
        ? builder.node(table.inputs[0]!)
        : undefined;
    const source = keyed?.kind === 'groupByKey' ? builder.node(keyed.inputs[0]!) : undefined;
    if (source?.kind !== 'source' || source.role !== 'table')
      throw new TypeError(
        `join '${this.storeName}': a foreign-key join reads the other table whole in every task, so it must be a global table or a table read from a topic (pipeline.table), not a derived one`,
      );
    const name = `${this.storeName}-global`;
    const existing = builder.build().nodes.find((n) => n.kind === 'toTable' && n.store.name === name);
    if (existing !== undefined)
      return new GlobalTable<K, V>({ builder, id: existing.id, keyFormat: this.node.keyFormat }, name);
    const id = builder.add({
      kind: 'source',
      inputs: [],
      name,
      topic: source.topic,
      keyFormat: source.keyFormat,
      valueFormat: source.valueFormat,
      startFrom: 'earliest',
      role: 'globalTable',
    });
    const global = builder.add({
      kind: 'toTable',
      inputs: [id],
      store: { name, keyFormat: source.keyFormat, valueFormat: structuredValue, global: true },
    });
    return new GlobalTable<K, V>({ builder, id: global, keyFormat: this.node.keyFormat }, name);
  }

  #foreignKeyJoin<FK, W, R>(
    join: 'inner' | 'left',
    name: string,
    target: GlobalTable<FK, W> | Table<FK, W, null> | Table<FK, W>,
    foreignKey: UserFunction,
    joiner: UserFunction,
  ): Table<K, R, null> {
    const builder = this.node.builder;
    if (target.node.builder !== builder)
      throw new TypeError(`join '${name}': the tables belong to different pipelines`);
    const other = target instanceof Table ? (target as Table<FK, W>).#globalTwin() : target;
    const id = builder.add({
      kind: 'foreignKeyJoin',
      inputs: [this.node.id, other.node.id],
      name,
      join,
      fkFn: builder.fn(foreignKey),
      fn: builder.fn(joiner),
      store: { name, keyFormat: this.node.keyFormat, valueFormat: structuredValue },
      indexStore: { name: `${name}-index`, keyFormat: { kind: 'bytes' }, valueFormat: structuredValue },
      tableStores: [this.storeName, other.storeName],
    });
    return new Table<K, R, null>({ builder, id, keyFormat: this.node.keyFormat }, name);
  }

  /**
   * A foreign-key join, kept in the store `name` (and `<name>-index`): each row v of this table joins the
   * row of the global table `other` under `foreignKey(v, key)`, giving `joiner(v, row, key)` as this key's
   * row while both exist (no row otherwise, nor when the joiner returns null or undefined). A change of a
   * row of this table recomputes its result; a change of a row of `other` recomputes every row pointing
   * at it. Processing order, as other table joins; the result's changelog has a record only when a row
   * changes or disappears. The other side is read whole by every task, so rows of this table, wherever
   * partitioned, can point at any of its keys: a global table, or a table read from a topic
   * (`pipeline.table`), whose topic is then also read as a global table (`<its name>-global`).
   */
  joinOn<FK, W, R>(
    name: string,
    other: GlobalTable<FK, W> | Table<FK, W, null> | Table<FK, W>,
    foreignKey: (value: V, key: K) => FK | null | undefined,
    joiner: (value: V, row: W, key: K) => R,
  ): Table<K, R, null> {
    return this.#foreignKeyJoin<FK, W, R>(
      'inner',
      name,
      other,
      foreignKey as UserFunction,
      joiner as UserFunction,
    );
  }

  /** As `joinOn`, but a row whose foreign row is missing has `joiner(value, undefined, key)` as its row. */
  leftJoinOn<FK, W, R>(
    name: string,
    other: GlobalTable<FK, W> | Table<FK, W, null> | Table<FK, W>,
    foreignKey: (value: V, key: K) => FK | null | undefined,
    joiner: (value: V, row: W | undefined, key: K) => R,
  ): Table<K, R, null> {
    return this.#foreignKeyJoin<FK, W, R>(
      'left',
      name,
      other,
      foreignKey as UserFunction,
      joiner as UserFunction,
    );
  }
}
