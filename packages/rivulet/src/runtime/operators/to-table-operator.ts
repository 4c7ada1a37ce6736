import type { OperatorStore } from '../operator-store.ts';
import type { StreamRecord } from '../stream-record.ts';
import { Operator, type UserContext } from './operator.ts';

type ValueFn = (value: unknown, key: unknown, context: UserContext) => unknown;

/**
 * Keeps the latest value per key in its store and emits each change: a non-null value (mapped by
 * `map`, then kept only if `filter` accepts it) is stored and emitted; a null value, or one `filter`
 * rejects, deletes the key and emits a null, but only if the key was there (no spurious tombstones).
 * A throwing `map` or `filter` rejects the record (error policy) and leaves the table as it was.
 */
export class ToTableOperator extends Operator {
  constructor(
    label: string,
    private readonly store: OperatorStore,
    private readonly map: ValueFn | undefined,
    private readonly filter: ValueFn | undefined,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    const store = this.store;
    let kept = 0;
    for (const record of batch) {
      const key = record.key;
      try {
        let value = record.value;
        if (value !== null && value !== undefined) {
          const context = this.context.set(record);
          if (this.map !== undefined) value = this.map(value, key, context);
          if (this.filter !== undefined && !this.filter(value, key, context)) value = null;
        }
        if (value === null || value === undefined) {
          if (store.get(key) === undefined) continue;
          store.delete(key);
          record.value = null;
        } else {
          store.put(key, value);
          record.value = value;
        }
      } catch (error) {
        this.reject(error, record);
        continue;
      }
      batch[kept++] = record;
    }
    batch.length = kept;
    if (kept > 0) this.emit(batch);
  }
}
