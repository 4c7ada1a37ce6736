import type { StreamRecord } from '../stream-record.ts';
import { Operator, type UserContext } from './operator.ts';

/**
 * Sends each record to the output of the first predicate that accepts it, or to the last output (the
 * default branch). `outputs[i]` is the operator of branch i; outputs may be missing for unused branches.
 */
export class BranchOperator extends Operator {
  readonly outputs: Array<Operator | undefined> = [];

  constructor(
    label: string,
    private readonly predicates: ReadonlyArray<(value: unknown, context: UserContext) => boolean>,
  ) {
    super(label);
  }

  protected override emitWatermark(watermark: number, idle: boolean): void {
    for (const output of this.outputs) output?.onWatermark(watermark, idle, this);
  }

  process(batch: StreamRecord[]): void {
    const routed: StreamRecord[][] = this.predicates.map(() => []);
    routed.push([]);
    for (const record of batch) {
      let index = 0;
      try {
        const context = this.context.set(record);
        while (index < this.predicates.length && !this.predicates[index]!(record.value, context)) index++;
      } catch (error) {
        this.reject(error, record);
        continue;
      }
      routed[index]!.push(record);
    }
    routed.forEach((records, index) => {
      const output = this.outputs[index];
      if (records.length === 0 || output === undefined) return;
      this.recordsOut += records.length;
      output.receive(records);
    });
  }
}
