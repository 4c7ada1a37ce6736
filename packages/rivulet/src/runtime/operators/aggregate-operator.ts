import type { AggregateOp } from '../../plan/index.ts';
import type { OperatorStore } from '../operator-store.ts';
import type { StreamRecord } from '../stream-record.ts';
import { Operator } from './operator.ts';

type Fn = (...args: unknown[]) => unknown;

/**
 * Keyed aggregation: folds each record into its key's value in the store and emits the new value (an
 * upsert of the table) with the record's key and timestamp. The emitted value is the stored object:
 * downstream functions must not mutate it.
 */
export class AggregateOperator extends Operator {
  constructor(
    label: string,
    private readonly op: AggregateOp,
    private readonly init: Fn | undefined,
    private readonly add: Fn | undefined,
    private readonly store: OperatorStore,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    const store = this.store;
    let kept = 0;
    for (const record of batch) {
      const key = record.key;
      const previous = store.get(key);
      let next: unknown;
      try {
        next = this.#fold(previous, record.value, key);
      } catch (error) {
        this.reject(error, record);
        continue;
      }
      store.put(key, next);
      record.value = next;
      batch[kept++] = record;
    }
    batch.length = kept;
    this.emit(batch);
  }

  #fold(previous: unknown, value: unknown, key: unknown): unknown {
    switch (this.op) {
      case 'count':
        return ((previous as number | undefined) ?? 0) + 1;
      case 'sum':
        return ((previous as number | undefined) ?? 0) + this.#number(value);
      case 'min': {
        const v = this.#number(value);
        return previous === undefined ? v : Math.min(previous as number, v);
      }
      case 'max': {
        const v = this.#number(value);
        return previous === undefined ? v : Math.max(previous as number, v);
      }
      case 'reduce':
        return previous === undefined ? value : this.add!(previous, value);
      case 'aggregate':
        return this.add!(previous === undefined ? this.init!() : previous, value, key);
    }
  }

  #number(value: unknown): number {
    const n = this.add!(value);
    if (typeof n !== 'number' || Number.isNaN(n))
      throw new TypeError(`the ${this.op} extractor returned ${String(n)}, not a number`);
    return n;
  }
}
