import { EngineError } from '../../model/index.ts';
import type { StreamRecord } from '../stream-record.ts';
import { Operator, type UserContext } from './operator.ts';

/**
 * Event time for one task's input partition: sets each record's timestamp to `extract(value)` (a whole
 * number of ms >= 0, else the record fails at the `process` boundary) and, after each batch, sends the
 * watermark `max timestamp seen - maxOutOfOrderMs` downstream when it moved. With `idleTimeoutMs`,
 * `checkIdle(now)` marks the partition idle once no record came for that long (processing time) and
 * says so downstream; the next record ends it. The largest timestamp seen is kept in the checkpoint.
 */
export class EventTimeOperator extends Operator {
  #maxTimestamp = Number.NEGATIVE_INFINITY;
  #sent = Number.NEGATIVE_INFINITY;
  #idle = false;
  #lastRecordAt: number;

  constructor(
    label: string,
    private readonly extract: (value: unknown, context: UserContext) => unknown,
    private readonly maxOutOfOrderMs: number,
    private readonly idleTimeoutMs: number | undefined,
    private readonly now: () => number,
  ) {
    super(label);
    this.#lastRecordAt = now();
  }

  get watermark(): number {
    return this.#maxTimestamp - this.maxOutOfOrderMs;
  }

  process(batch: StreamRecord[]): void {
    let kept = 0;
    let max = this.#maxTimestamp;
    for (const record of batch) {
      try {
        const ts = this.extract(record.value, this.context.set(record));
        if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
          throw new EngineError(
            'INVALID_RECORD',
            `${this.label}: the event time must be a whole number of ms >= 0, got ${String(ts)}`,
          );
        }
        record.timestamp = ts;
        if (ts > max) max = ts;
        batch[kept++] = record;
      } catch (error) {
        this.reject(error, record);
      }
    }
    batch.length = kept;
    if (kept > 0) this.#lastRecordAt = this.now();
    this.emit(batch);
    this.#maxTimestamp = max;
    if (kept > 0 && (this.watermark > this.#sent || this.#idle)) {
      this.#idle = false;
      this.#sent = this.watermark;
      this.emitWatermark(this.#sent, false);
    }
  }

  /** Marks the partition idle when no record came for the idle timeout. */
  checkIdle(now: number): void {
    if (this.idleTimeoutMs === undefined || this.#idle) return;
    if (now - this.#lastRecordAt >= this.idleTimeoutMs) {
      this.#idle = true;
      this.emitWatermark(this.watermark, true);
    }
  }

  override timeState(): unknown {
    return Number.isFinite(this.#maxTimestamp) ? this.#maxTimestamp : null;
  }

  override restoreTimeState(state: unknown): void {
    if (typeof state !== 'number') return;
    this.#maxTimestamp = state;
    this.#sent = this.watermark;
    // Downstream state was restored to the same cut; say where event time stands.
    this.emitWatermark(this.#sent, false);
  }
}
