import type { StreamRecord } from '../stream-record.ts';
import { Operator, type UserContext } from './operator.ts';

/** Keeps the records whose value the predicate accepts. */
export class FilterOperator extends Operator {
  constructor(
    label: string,
    private readonly predicate: (value: unknown, context: UserContext) => boolean,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    let kept = 0;
    for (const record of batch) {
      let keep: boolean;
      try {
        keep = this.predicate(record.value, this.context.set(record));
      } catch (error) {
        this.reject(error, record);
        keep = false;
      }
      if (keep) batch[kept++] = record;
    }
    batch.length = kept;
    this.emit(batch);
  }
}
