import type { OperatorStore } from '../operator-store.ts';
import type { StreamRecord } from '../stream-record.ts';
import { Operator, type UserContext } from './operator.ts';

type KeyFn = (value: unknown, key: unknown, context: UserContext) => unknown;
type Joiner = (value: unknown, row: unknown, key: unknown, context: UserContext) => unknown;

/**
 * The stream side of a global-table join: each record looks up the row under `keyFn(value, key)` in
 * the task's full copy of the global table (as read so far: its topic is read to its end before other
 * inputs at start, then ahead of them) and becomes `joiner(value, row, key)`; without a row, `inner`
 * drops the record and `left` joins it with undefined. Keeps record order, key, time and headers; a
 * lookup key of null or undefined has no row. A throwing `keyFn` or joiner rejects the record.
 */
export class GlobalTableJoinOperator extends Operator {
  constructor(
    label: string,
    private readonly keyFn: KeyFn,
    private readonly joiner: Joiner,
    private readonly join: 'inner' | 'left',
    private readonly table: OperatorStore,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    let kept = 0;
    for (const record of batch) {
      try {
        const context = this.context.set(record);
        const lookup = this.keyFn(record.value, record.key, context);
        const row = lookup === null || lookup === undefined ? undefined : this.table.get(lookup);
        if (row === undefined && this.join === 'inner') continue;
        record.value = this.joiner(record.value, row, record.key, context);
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
