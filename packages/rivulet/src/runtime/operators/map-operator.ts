import type { StreamRecord } from '../stream-record.ts';
import { Operator, type UserContext } from './operator.ts';

/** Replaces each value by `fn(value, context)`. */
export class MapOperator extends Operator {
  constructor(
    label: string,
    private readonly fn: (value: unknown, context: UserContext) => unknown,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    let kept = 0;
    for (const record of batch) {
      try {
        record.value = this.fn(record.value, this.context.set(record));
        batch[kept++] = record;
      } catch (error) {
        this.reject(error, record);
      }
    }
    batch.length = kept;
    this.emit(batch);
  }
}
