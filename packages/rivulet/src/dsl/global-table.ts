import type { DslNode } from './dsl-node.ts';

/**
 * A global table (`pipeline.globalTable`): the latest value per key of a whole topic, held in full by
 * every task that joins it (small reference data), so streams join it by any key they compute, without
 * repartitioning (`stream.join(globalTable, keyOf, joiner)`). Not a `Table`: it has no changelog stream
 * and cannot be queried or joined as a co-partitioned table.
 */
export class GlobalTable<K, V> {
  /** @internal */
  readonly node: DslNode;
  /** The store holding each task's copy. */
  readonly storeName: string;
  readonly __types?: (key: K, value: V) => void;

  /** @internal */
  constructor(node: DslNode, storeName: string) {
    this.node = node;
    this.storeName = storeName;
  }
}
