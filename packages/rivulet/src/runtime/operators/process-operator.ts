import type { OperatorStore } from '../operator-store.ts';
import { StreamRecord } from '../stream-record.ts';
import type { TimerStore } from '../timer-store.ts';
import { Operator } from './operator.ts';

type ProcessFn = (value: unknown, context: ProcessContext) => readonly unknown[] | undefined;
type TimerFn = (timestamp: number, context: ProcessContext) => readonly unknown[] | undefined;

/** The context a processor sees: key, timestamp, processing time, per-key store views and timers. */
class ProcessContext {
  key: unknown = undefined;
  timestamp = 0;
  readonly timers = {
    processingTime: (at: number): void => this.timerStore.set(at, this.key),
    cancel: (at: number): void => this.timerStore.cancel(at, this.key),
  };

  constructor(
    private readonly stores: ReadonlyMap<string, OperatorStore>,
    private readonly timerStore: TimerStore,
    private readonly clock: () => number,
    private readonly label: string,
  ) {}

  get now(): number {
    return this.clock();
  }

  state(name: string): { get(): unknown; set(value: unknown): void; clear(): void } {
    const store = this.stores.get(name);
    if (store === undefined)
      throw new TypeError(`${this.label} has no store '${name}' (declare it in process(..., { stores }))`);
    const key = this.key;
    return {
      get: () => store.get(key),
      set: (value) => store.put(key, value),
      clear: () => store.delete(key),
    };
  }
}

/**
 * Runs a user processor per record; the values it returns are emitted with the record's key and
 * timestamp. `fireTimers(now)` runs `onTimer` for every due processing-time timer (the task calls it
 * between batches), emitting with the timer's key at the timer's time.
 */
export class ProcessOperator extends Operator {
  readonly #context: ProcessContext;

  constructor(
    label: string,
    private readonly fn: ProcessFn,
    private readonly onTimer: TimerFn | undefined,
    stores: ReadonlyMap<string, OperatorStore>,
    private readonly timerStore: TimerStore,
    clock: () => number,
  ) {
    super(label);
    this.#context = new ProcessContext(stores, timerStore, clock, label);
  }

  process(batch: StreamRecord[]): void {
    const out: StreamRecord[] = [];
    const context = this.#context;
    for (const record of batch) {
      context.key = record.key;
      context.timestamp = record.timestamp;
      let results: readonly unknown[] | undefined;
      try {
        results = this.fn(record.value, context);
      } catch (error) {
        // State the processor changed before throwing stays changed (as in Kafka Streams).
        this.reject(error, record);
        continue;
      }
      if (results !== undefined) for (const value of results) out.push(record.derive(value));
    }
    this.emit(out);
  }

  fireTimers(now: number): void {
    const due = this.timerStore.takeDue(now);
    if (due.length === 0) return;
    const out: StreamRecord[] = [];
    const context = this.#context;
    for (const { at, key } of due) {
      if (this.onTimer === undefined) continue;
      context.key = key;
      context.timestamp = at;
      const timerRecord = new StreamRecord(key, null, at, undefined);
      let results: readonly unknown[] | undefined;
      try {
        results = this.onTimer(at, context);
      } catch (error) {
        this.reject(error, timerRecord);
        continue;
      }
      if (results !== undefined) for (const value of results) out.push(timerRecord.derive(value));
    }
    this.emit(out);
  }
}
