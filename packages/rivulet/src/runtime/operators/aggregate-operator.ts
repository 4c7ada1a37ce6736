import type { OperatorStore } from '../operator-store.ts';
import type { StreamRecord } from '../stream-record.ts';
import type { Accumulator } from './accumulator.ts';
import { Operator } from './operator.ts';

/**
 * Keyed aggregation: folds each record into its key's value in the store and emits the new value (an
 * upsert of the table) with the record's key and timestamp. The emitted value is the stored object:
 * downstream functions must not mutate it.
 */
export class AggregateOperator extends Operator {
  constructor(
    label: string,
    private readonly accumulator: Accumulator,
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
        next = this.accumulator.fold(previous, record.value, key);
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
}
