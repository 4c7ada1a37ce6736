import type { FormatSpec, UserFunction } from '../plan/index.ts';
import type { DslNode } from './dsl-node.ts';
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
}
