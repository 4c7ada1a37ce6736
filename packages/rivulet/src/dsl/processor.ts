/**
 * Low-level per-key processing (`KeyedStream.process`). The runtime calls `process` once per record, in
 * order per key, with a context bound to the record's key; state and timers are scoped to that key and
 * are durable (restored after a crash to the last checkpoint).
 */
export interface ProcessorContext<K> {
  readonly key: K;
  /** The record's event time (for a timer: the time it was set for). */
  readonly timestamp: number;
  /** Processing time now, from the engine's clock. */
  readonly now: number;
  /** Timers of the current key, durable like state; `onTimer` runs once each is due. */
  readonly timers: {
    /** Calls `onTimer` for this key once processing time reaches `at` (ms since the epoch). */
    processingTime(at: number): void;
    /**
     * Calls `onTimer` for this key once the watermark reaches `at` (event time; needs `eventTime(...)`
     * upstream). Due timers run before the watermark goes downstream, in time order.
     */
    eventTime(at: number): void;
    /** Cancels this key's timer at `at` in `domain` (default processing time), if set. */
    cancel(at: number, domain?: 'processing' | 'event'): void;
  };
  /** In `onTimer`: whether a processing-time or an event-time timer fired (undefined in `process`). */
  readonly timeDomain: 'processing' | 'event' | undefined;
  /**
   * The named store (declared in `process(name, processor, { stores })`), scoped to the key of the
   * current call: use it during the call, do not keep it (the view is reused for the next key).
   */
  state<V>(store: string): KeyedState<V>;
}

export interface KeyedState<V> {
  get(): V | undefined;
  set(value: V): void;
  clear(): void;
}

/**
 * Handles one record and returns the values to emit (their type becomes the stream's type), each with
 * the record's key and timestamp. One processor object serves every key and task: keep state in the
 * context's stores, never in the object.
 */
export interface Processor<K, T, U> {
  process(value: T, context: ProcessorContext<K>): readonly U[] | undefined;
  /** A timer of `context.key` is due: return the values to emit (keyed by that key, at the timer's time). */
  onTimer?(timestamp: number, context: ProcessorContext<K>): readonly U[] | undefined;
}

/** Declares a store a processor uses. */
export interface StoreDefinition {
  name: string;
  /** Entries not written for this long disappear (processing time). */
  ttl?: string | number;
  /**
   * Keep values decoded between checkpoints, as a heap state backend does (not with `ttl`): much cheaper
   * per access, but a value `get()` returns is the live state: replace it with `set()`, never mutate it
   * unless you set it back.
   */
  keepDecoded?: boolean;
}
