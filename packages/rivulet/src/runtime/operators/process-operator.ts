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
  /** In `onTimer`: which kind of timer fired. */
  timeDomain: 'processing' | 'event' | undefined = undefined;
  readonly #views = new Map<string, { get(): unknown; set(value: unknown): void; clear(): void }>();
  readonly timers = {
    processingTime: (at: number): void => this.timerStore.set(at, this.key),
    eventTime: (at: number): void => this.eventTimerStore.set(at, this.key),
    cancel: (at: number, domain: 'processing' | 'event' = 'processing'): void =>
      (domain === 'event' ? this.eventTimerStore : this.timerStore).cancel(at, this.key),
  };

  constructor(
    private readonly stores: ReadonlyMap<string, OperatorStore>,
    private readonly timerStore: TimerStore,
    private readonly eventTimerStore: TimerStore,
    private readonly clock: () => number,
    private readonly label: string,
  ) {}

  get now(): number {
    return this.clock();
  }

  /** The store's view for the current key: one per store, reused (valid during the call it was got in). */
  state(name: string): { get(): unknown; set(value: unknown): void; clear(): void } {
    let view = this.#views.get(name);
    if (view === undefined) {
      const store = this.stores.get(name);
      if (store === undefined)
        throw new TypeError(`${this.label} has no store '${name}' (declare it in process(..., { stores }))`);
      view = {
        get: () => store.get(this.key),
        set: (value) => store.put(this.key, value),
        clear: () => store.delete(this.key),
      };
      this.#views.set(name, view);
    }
    return view;
  }
}

/**
 * Runs a user processor per record; the values it returns are emitted with the record's key and
 * timestamp. `fireTimers(now)` runs `onTimer` for every due processing-time timer (the task calls it
 * between batches), and a watermark runs it for every event-time timer at or below it, in time order,
 * before the watermark goes on; results carry the timer's key and time.
 */
export class ProcessOperator extends Operator {
  readonly #context: ProcessContext;

  constructor(
    label: string,
    private readonly fn: ProcessFn,
    private readonly onTimer: TimerFn | undefined,
    stores: ReadonlyMap<string, OperatorStore>,
    private readonly timerStore: TimerStore,
    private readonly eventTimerStore: TimerStore,
    clock: () => number,
  ) {
    super(label);
    this.#context = new ProcessContext(stores, timerStore, eventTimerStore, clock, label);
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
    this.#fire(this.timerStore.takeDue(now), 'processing');
  }

  override onWatermark(watermark: number, idle: boolean): void {
    // Timers an onTimer sets at or below the watermark are due too: fire until none is.
    for (
      let due = this.eventTimerStore.takeDue(watermark);
      due.length > 0;
      due = this.eventTimerStore.takeDue(watermark)
    )
      this.#fire(due, 'event');
    this.emitWatermark(watermark, idle);
  }

  #fire(due: Array<{ at: number; key: unknown }>, domain: 'processing' | 'event'): void {
    if (due.length === 0) return;
    const out: StreamRecord[] = [];
    const context = this.#context;
    for (const { at, key } of due) {
      if (this.onTimer === undefined) continue;
      context.key = key;
      context.timestamp = at;
      context.timeDomain = domain;
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
    context.timeDomain = undefined;
    this.emit(out);
  }
}
