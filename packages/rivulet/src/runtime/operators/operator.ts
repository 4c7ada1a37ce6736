import { EngineError, isEngineError } from '../../model/index.ts';
import { CombinedWatermark } from '../combined-watermark.ts';
import type { Boundary, ErrorRouter } from '../error-policy.ts';
import type { StreamRecord } from '../stream-record.ts';

/** The context object handed to user functions; one per operator, refilled for every record. */
export class UserContext {
  key: unknown = undefined;
  timestamp = 0;
  headers: StreamRecord['headers'] = undefined;

  set(record: StreamRecord): this {
    this.key = record.key;
    this.timestamp = record.timestamp;
    this.headers = record.headers;
    return this;
  }
}

/**
 * A node of a task's operator graph. `receive` takes a batch it then owns (it may change the records in
 * place), counts it and hands it to `process`, which passes results to its children synchronously; when
 * a stream fans out, every child but the last gets copies, so no two branches share a record. Batches
 * are always handed over through `receive` (never `process`), so `recordsIn` counts every one. A user function that throws becomes
 * PROCESSING_FAILED naming the operator, and the pipeline's error policy decides: under `fail` it is
 * thrown; under `skip` or `deadLetter` the record is dropped here and the batch goes on.
 */
export abstract class Operator {
  readonly label: string;
  readonly children: Operator[] = [];
  /** The pipeline's error router; without one every failure is thrown (the test driver). */
  errors: ErrorRouter | undefined;
  protected boundary: Boundary = 'process';
  protected readonly context = new UserContext();
  /**
   * Records received and records passed on (to the children, or written by a sink) since the task
   * started: one add per batch, read at checkpoint cuts for metrics.
   */
  recordsIn = 0;
  recordsOut = 0;

  constructor(label: string) {
    this.label = label;
  }

  /**
   * A two-sided operator's per-side inputs (the joins): its parents are wired to these, so it tells
   * which side a batch or watermark came from. Undefined for one-input operators.
   */
  get inputs(): readonly Operator[] | undefined {
    return undefined;
  }

  /**
   * Called once, when the task has read its global tables to their end as of its start
   * (TaskGraph.globalTablesLoaded). Nothing by default.
   */
  globalTablesLoaded(): void {}

  /** Counts the batch in and processes it: how parents and task inputs hand batches over. */
  receive(batch: StreamRecord[]): void {
    this.recordsIn += batch.length;
    this.process(batch);
  }

  abstract process(batch: StreamRecord[]): void;

  /**
   * A watermark from `from` (a parent operator; undefined from the task's input): no record with a
   * timestamp below `watermark` is expected any more. `idle` says the input had no records for a while
   * and must not hold back a combination with other inputs. Passed on by default; MergeOperator combines
   * its inputs by min; windows close on it. Watermarks arrive between batches, never inside one.
   */
  onWatermark(watermark: number, idle: boolean, _from?: Operator): void {
    this.emitWatermark(watermark, idle);
  }

  protected emitWatermark(watermark: number, idle: boolean): void {
    for (const child of this.children) child.onWatermark(watermark, idle, this);
  }

  /** Event-time state the checkpoint keeps for this operator in its task (undefined: none). */
  timeState(): unknown {
    return undefined;
  }

  /** Restores what `timeState` returned at the checkpoint the task starts from. */
  restoreTimeState(_state: unknown): void {}

  protected emit(batch: StreamRecord[]): void {
    const children = this.children;
    const last = children.length - 1;
    this.recordsOut += batch.length;
    if (last < 0 || batch.length === 0) return;
    for (let i = 0; i < last; i++) children[i]!.receive(batch.map((r) => r.copy()));
    children[last]!.receive(batch);
  }

  /** Applies the error policy to a failed record: throws, or returns so the caller drops the record. */
  protected reject(error: unknown, record: StreamRecord): void {
    const failure = this.failed(error, record);
    if (this.errors === undefined) throw failure;
    this.errors.handle(this.boundary, failure, record);
  }

  protected failed(error: unknown, record: StreamRecord): EngineError {
    if (isEngineError(error) && error.code !== 'INTERNAL') {
      if (error.details.operator !== undefined) return error;
      return new EngineError(error.code, `${this.label}: ${error.message}`, {
        cause: error,
        details: { ...error.details, operator: this.label, offset: record.offset },
      });
    }
    return new EngineError(
      'PROCESSING_FAILED',
      `${this.label} threw: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
        details: { operator: this.label, offset: record.offset, timestamp: record.timestamp },
      },
    );
  }
}

/** Passes batches on unchanged (merge, toStream, branch outputs, non-repartitioning keyBy targets). */
export class PassThroughOperator extends Operator {
  process(batch: StreamRecord[]): void {
    this.emit(batch);
  }
}

/**
 * Interleaves its inputs (merge). Its watermark is the smallest of its inputs' that are not idle (an
 * input not heard from yet counts as no watermark at all), idle only when every input is.
 */
export class MergeOperator extends Operator {
  readonly #watermark: CombinedWatermark;
  /** Which input each parent operator is. */
  readonly #inputs = new Map<Operator | undefined, number>();

  constructor(label: string, inputCount: number) {
    super(label);
    this.#watermark = new CombinedWatermark(inputCount);
  }

  process(batch: StreamRecord[]): void {
    this.emit(batch);
  }

  override onWatermark(watermark: number, idle: boolean, from?: Operator): void {
    let input = this.#inputs.get(from);
    if (input === undefined) {
      input = this.#inputs.size;
      this.#inputs.set(from, input);
    }
    if (this.#watermark.update(input, watermark, idle))
      this.emitWatermark(this.#watermark.current, this.#watermark.idle);
  }
}
