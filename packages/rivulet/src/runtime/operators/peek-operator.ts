import type { StreamRecord } from '../stream-record.ts';
import { Operator, type UserContext } from './operator.ts';

/** Calls `fn` for each record and passes the batch on unchanged. */
export class PeekOperator extends Operator {
  constructor(
    label: string,
    private readonly fn: (value: unknown, context: UserContext) => void,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    let kept = 0;
    for (const record of batch) {
      try {
        this.fn(record.value, this.context.set(record));
        batch[kept++] = record;
      } catch (error) {
        this.reject(error, record);
      }
    }
    batch.length = kept;
    this.emit(batch);
  }
}
