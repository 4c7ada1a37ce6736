import type { OperatorStore } from '../operator-store.ts';
import type { StreamRecord } from '../stream-record.ts';
import { Operator, type UserContext } from './operator.ts';

type Joiner = (value: unknown, row: unknown, key: unknown, context: UserContext) => unknown;
type LookupKey = (value: unknown, key: unknown, context: UserContext) => unknown;

/**
 * The stream side of a stream-table join: each record looks up a row in the table's store (as this task
 * has written it so far) and becomes `joiner(value, row, key)`; without a row, `inner` drops the record
 * and `left` joins it with undefined. The row is the record key's (a co-partitioned table) or, with
 * `lookupKey`, the one under the key it computes (a global table, which every task holds whole; null or
 * undefined: no row). Keeps record order, key, time and headers. A throwing `lookupKey` or joiner
 * rejects the record (error policy).
 */
export class StreamTableJoinOperator extends Operator {
  constructor(
    label: string,
    private readonly joiner: Joiner,
    private readonly join: 'inner' | 'left',
    private readonly table: OperatorStore,
    private readonly lookupKey?: LookupKey,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    let kept = 0;
    for (const record of batch) {
      try {
        const context = this.context.set(record);
        const key =
          this.lookupKey === undefined ? record.key : this.lookupKey(record.value, record.key, context);
        const row = key === null || key === undefined ? undefined : this.table.get(key);
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
