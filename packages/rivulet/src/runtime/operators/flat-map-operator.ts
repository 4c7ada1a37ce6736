import type { StreamRecord } from '../stream-record.ts';
import { Operator, type UserContext } from './operator.ts';

/** Replaces each record by one record per value `fn` yields, with the same key, timestamp and headers. */
export class FlatMapOperator extends Operator {
  constructor(
    label: string,
    private readonly fn: (value: unknown, context: UserContext) => Iterable<unknown>,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    const out: StreamRecord[] = [];
    for (const record of batch) {
      const produced = out.length;
      try {
        for (const value of this.fn(record.value, this.context.set(record))) out.push(record.derive(value));
      } catch (error) {
        out.length = produced; // nothing of a failed record goes on
        this.reject(error, record);
      }
    }
    this.emit(out);
  }
}
