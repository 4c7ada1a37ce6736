import type { StreamRecord } from '../stream-record.ts';
import { Operator } from './operator.ts';

/**
 * One input of a two-sided operator (a join): its parents send here, and it hands their batches and
 * watermarks on to the operator's callbacks for its side, synchronously and in order.
 */
export class JoinSideInput extends Operator {
  constructor(
    label: string,
    private readonly onBatch: (batch: StreamRecord[]) => void,
    private readonly onInputWatermark: (watermark: number, idle: boolean) => void,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    this.onBatch(batch);
  }

  override onWatermark(watermark: number, idle: boolean): void {
    this.onInputWatermark(watermark, idle);
  }
}
