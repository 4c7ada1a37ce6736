import { type Duration, parseDuration } from '../model/index.ts';
import type { WindowSpec } from '../plan/index.ts';

/** Fixed, non-overlapping event-time windows `[n * size, (n + 1) * size)`. */
export function tumbling(size: Duration): WindowSpec {
  return Object.freeze({ kind: 'tumbling', sizeMs: parseDuration(size) });
}

/** Windows of `size` starting every `advance` (a record is in size / advance of them). */
export function hopping(size: Duration, advance: Duration): WindowSpec {
  return Object.freeze({ kind: 'hopping', sizeMs: parseDuration(size), advanceMs: parseDuration(advance) });
}

/** Per key, runs of records less than `gap` apart: `[first, last + gap)`; sessions merge as records arrive. */
export function session(gap: Duration): WindowSpec {
  return Object.freeze({ kind: 'session', gapMs: parseDuration(gap) });
}

/**
 * A fading score per key: every record counts with weight 2^(-age / halfLife), age measured from the
 * key's latest event time. Supports `count` and `sum`, with `emit: 'updates'`.
 */
export function decaying(halfLife: Duration): WindowSpec {
  return Object.freeze({ kind: 'decaying', halfLifeMs: parseDuration(halfLife) });
}

/**
 * Per record: every record gets its own result, "the last size" as of that record. Times are rounded
 * down to a multiple of `resolution` (default 1 ms): the window of a record at t, rounded to t', holds
 * its key's records whose rounded time is in `[t' - size, t']` (with resolution 1, records at most `size`
 * apart), reported as `{ start: t' - size, end: t' + resolution }`. State per key is one pane per
 * rounded time, at most size / resolution + 1 of them whatever the record rate, and a result costs a
 * merge of the panes in its window (an `aggregate` without merge keeps the values and folds them).
 * `resolution` must be a whole number of ms > 0, at most `size` when size > 0 (`validate()` says so).
 */
export function sliding(size: Duration, options: { resolution?: Duration } = {}): WindowSpec {
  return Object.freeze({
    kind: 'sliding',
    sizeMs: parseDuration(size),
    resolutionMs: options.resolution === undefined ? 1 : parseDuration(options.resolution),
  });
}
