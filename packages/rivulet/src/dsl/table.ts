import type { DslNode } from './dsl-node.ts';
import { Stream } from './stream.ts';

/**
 * A table: the latest value per key, kept in a named store and queryable by that name. Its changelog
 * (one upsert per change) is available as a stream.
 */
export class Table<K, V> {
  /** @internal */
  readonly node: DslNode;
  /** The store holding the table (also its changelog topic's and metrics' name). */
  readonly storeName: string;

  /** @internal */
  constructor(node: DslNode, storeName: string) {
    this.node = node;
    this.storeName = storeName;
  }

  /** The table's changes as a stream of values keyed by the table's key. */
  toStream(): Stream<V, K> {
    const id = this.node.builder.add({ kind: 'toStream', inputs: [this.node.id] });
    return new Stream<V, K>({ builder: this.node.builder, id, keyFormat: this.node.keyFormat });
  }
}
