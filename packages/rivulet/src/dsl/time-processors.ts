import type { Processor } from './processor.ts';

/**
 * Processors behind the time-based KeyedStream operators (dedupe, crosses, silence): ordinary per-key
 * processors over one store, so they are durable, restored after a crash and visible in the plan as
 * `process` nodes like any other.
 */
/** Keeps a record unless its key kept one less than `withinMs` of event time before it (or after it). */
export function dedupeProcessor<K, T>(withinMs: number, store: string): Processor<K, T, T> {
  return {
    process(value, ctx) {
      const state = ctx.state<number>(store);
      const first = state.get();
      if (first !== undefined && ctx.timestamp < first + withinMs) return undefined;
      state.set(ctx.timestamp);
      ctx.timers.eventTime(ctx.timestamp + withinMs);
      return [value];
    },
    onTimer(at, ctx) {
      const state = ctx.state<number>(store);
      const first = state.get();
      if (first !== undefined && first + withinMs <= at) state.clear();
      return undefined;
    },
  };
}

/** What `crosses` emits: the key's value went from below `threshold` to at or above it (`up`) or back. */
export interface Crossing<K> {
  key: K;
  direction: 'up' | 'down';
  value: number;
  threshold: number;
}

/** Emits a Crossing when `measure(value)` moves to the other side of `threshold` than the key's previous value. */
export function crossesProcessor<K, T>(
  threshold: number,
  measure: (value: T) => number,
  store: string,
): Processor<K, T, Crossing<K>> {
  return {
    process(value, ctx) {
      const v = measure(value);
      if (typeof v !== 'number' || Number.isNaN(v))
        throw new TypeError(`the crosses extractor returned ${String(v)}, not a number`);
      const state = ctx.state<boolean>(store);
      const wasAbove = state.get() ?? false;
      const above = v >= threshold;
      if (above === wasAbove) return undefined;
      state.set(above);
      return [{ key: ctx.key, direction: above ? 'up' : 'down', value: v, threshold }];
    },
  };
}

/** What `silence` emits: no record of `key` came for the gap after `lastSeen`. */
export interface Silence<K> {
  key: K;
  lastSeen: number;
  silentSince: number;
}

/**
 * Emits a Silence once a key had no record for `gapMs` after its latest: by event time (a timer at
 * latest + gap, fired by the watermark) or processing time (the clock).
 */
export function silenceProcessor<K, T>(
  gapMs: number,
  domain: 'event' | 'processing',
  store: string,
): Processor<K, T, Silence<K>> {
  return {
    process(_value, ctx) {
      const state = ctx.state<number>(store);
      const previous = state.get();
      const seen = domain === 'event' ? ctx.timestamp : ctx.now;
      if (previous !== undefined && previous >= seen) return undefined;
      if (previous !== undefined) ctx.timers.cancel(previous + gapMs, domain);
      state.set(seen);
      if (domain === 'event') ctx.timers.eventTime(seen + gapMs);
      else ctx.timers.processingTime(seen + gapMs);
      return undefined;
    },
    onTimer(at, ctx) {
      const state = ctx.state<number>(store);
      const last = state.get();
      if (last === undefined || last + gapMs !== at) return undefined;
      state.clear();
      return [{ key: ctx.key, lastSeen: last, silentSince: at }];
    },
  };
}

/** Passes the first record of a key and drops the key's records for `intervalMs` of event time after it. */
export function throttleProcessor<K, T>(intervalMs: number, store: string): Processor<K, T, T> {
  return {
    process(value, ctx) {
      const state = ctx.state<number>(store);
      const passed = state.get();
      if (passed !== undefined && ctx.timestamp >= passed && ctx.timestamp < passed + intervalMs)
        return undefined;
      if (passed !== undefined && ctx.timestamp < passed) return undefined; // older than the last passed one
      state.set(ctx.timestamp);
      return [value];
    },
  };
}

/**
 * Per key and interval of event time `[n * interval, (n + 1) * interval)`, the latest record (by event
 * time; the later arrival on ties), emitted once the watermark passes the interval's end.
 */
export function sampleProcessor<K, T>(intervalMs: number, store: string): Processor<K, T, T> {
  return {
    process(value, ctx) {
      const state = ctx.state<Record<string, [number, T]>>(store);
      const slots = state.get() ?? {};
      const start = ctx.timestamp - (ctx.timestamp % intervalMs);
      const current = slots[start];
      if (current === undefined) ctx.timers.eventTime(start + intervalMs);
      if (current === undefined || ctx.timestamp >= current[0]) slots[start] = [ctx.timestamp, value];
      state.set(slots);
      return undefined;
    },
    onTimer(at, ctx) {
      const state = ctx.state<Record<string, [number, T]>>(store);
      const slots = state.get() ?? {};
      const start = at - intervalMs;
      const slot = slots[start];
      if (slot === undefined) return undefined;
      delete slots[start];
      if (Object.keys(slots).length === 0) state.clear();
      else state.set(slots);
      return [slot[1]];
    },
  };
}
