/** A client's bucket: tokens left and when they were last counted. */
interface Bucket {
  tokens: number;
  at: number;
}

/** At most this many clients are tracked; past it the least recently seen one is forgotten. */
const MAX_CLIENTS = 10_000;

/**
 * A token bucket per client (by IP): `ratePerSecond` tokens per second refill it up to `burst`; each
 * request takes one. `take` answers 0 when the request may go, else the whole seconds to wait
 * (>= 1, for `Retry-After`). Memory is bounded: at most MAX_CLIENTS buckets, least recently used
 * dropped first (a dropped client starts again with a full bucket).
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  /** Insertion order is recency: a bucket is re-inserted when used. */
  readonly #buckets = new Map<string, Bucket>();

  constructor(ratePerSecond: number, burst: number, now: () => number = () => performance.now()) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('rate must be > 0 and burst >= 1');
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#now = now;
  }

  take(client: string): number {
    const now = this.#now();
    let bucket = this.#buckets.get(client);
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now };
      if (this.#buckets.size >= MAX_CLIENTS) {
        const oldest = this.#buckets.keys().next();
        if (oldest.done !== true) this.#buckets.delete(oldest.value);
      }
    } else {
      this.#buckets.delete(client);
      bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
      bucket.at = now;
    }
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#rate));
  }

  get clients(): number {
    return this.#buckets.size;
  }
}
