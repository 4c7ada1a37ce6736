/** How a webhook request is retried: attempts in all, exponential backoff between minMs and maxMs. */
export interface RetryOptions {
  readonly attempts: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** A Retry-After wait is honoured up to this long; a longer one is cut to it. */
const MAX_RETRY_AFTER_MS = 300_000;

/**
 * The wait before retry number `retry` (1 = the first retry): `minMs * 2^(retry-1)` capped at `maxMs`,
 * with equal jitter (half fixed, half random) so many senders do not retry in step.
 */
export function backoffMs(retry: number, options: RetryOptions, random: () => number): number {
  const ceiling = Math.min(options.maxMs, options.minMs * 2 ** Math.min(retry - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** A Retry-After header (seconds or an HTTP date) as milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}
