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
 * Per record: the window of a record at t is `[t - size, t]` (records at most `size` apart), so every
 * record gets its own result, "the last size" as of that record.
 */
export function sliding(size: Duration): WindowSpec {
  return Object.freeze({ kind: 'sliding', sizeMs: parseDuration(size) });
}
