import type { OperatorStore } from '../operator-store.ts';
import type { StreamRecord } from '../stream-record.ts';
import { Operator, type UserContext } from './operator.ts';

type Joiner = (value: unknown, row: unknown, key: unknown, context: UserContext) => unknown;

/**
 * The stream side of a stream-table join: each record looks up its key's row in the table's store (as
 * the table operator of the same task has written it so far) and becomes `joiner(value, row, key)`;
 * without a row, `inner` drops the record and `left` joins it with undefined. Keeps record order, key,
 * time and headers. A throwing joiner rejects the record (error policy).
 */
export class StreamTableJoinOperator extends Operator {
  constructor(
    label: string,
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
        const row = this.table.get(record.key);
        if (row === undefined && this.join === 'inner') continue;
        record.value = this.joiner(record.value, row, record.key, this.context.set(record));
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
