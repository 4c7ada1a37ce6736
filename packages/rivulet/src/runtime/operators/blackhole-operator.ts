import type { StreamRecord } from '../stream-record.ts';
import { Operator } from './operator.ts';

/** A sink that drops every record (`blackhole()`): nothing is encoded or written. */
export class BlackholeOperator extends Operator {
  process(_batch: StreamRecord[]): void {}
}
