import { EngineError } from '../model/index.ts';

interface Entry<T> {
  fingerprint: string;
  expiresAt: number;
  answer: Promise<T>;
  /** Memory the settled answer is counted for (0 while pending). */
  bytes: number;
}

export interface IdempotencyCacheOptions {
  /** How long a key is remembered (default 10 minutes). */
  ttlMs?: number;
  /** Most keys remembered at once (default 10,000); past it the oldest is forgotten. */
  maxEntries?: number;
  /** Most bytes of answers remembered at once (default 16 MiB); past it the oldest are forgotten. */
  maxBytes?: number;
  now?: () => number;
}

/**
 * Idempotency keys of produce requests. The first request with a key runs and its answer is kept for
 * `ttlMs`; a repeat with the same key and the same fingerprint (a digest of what it asks for) gets that
 * answer, also while the first is still running; a repeat with another fingerprint is refused with
 * IDEMPOTENCY_KEY_REUSED. A request that fails is forgotten, so its retry runs again. Memory is
 * bounded by entries and bytes (oldest forgotten first), so a key may be forgotten before it expires.
 */
export class IdempotencyCache<T> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  /** In insertion order, which is expiry order (one TTL for all). */
  readonly #entries = new Map<string, Entry<T>>();
  #bytes = 0;

  constructor(options: IdempotencyCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The answer for `key`: the remembered one (replay: true), or `run()`'s, remembered for later
   * (replay: false). `sizeOf` gives the memory a settled answer is counted for.
   */
  async once(
    key: string,
    fingerprint: string,
    run: () => Promise<T>,
    sizeOf: (answer: T) => number,
  ): Promise<{ answer: T; replay: boolean }> {
    this.#expire();
    const existing = this.#entries.get(key);
    if (existing !== undefined) {
      if (existing.fingerprint !== fingerprint)
        throw new EngineError(
          'IDEMPOTENCY_KEY_REUSED',
          `Idempotency-Key '${key}' was used with another request body in the last ${Math.round(this.#ttlMs / 1000)} s`,
        );
      return { answer: await existing.answer, replay: true };
    }
    const entry: Entry<T> = { fingerprint, expiresAt: this.#now() + this.#ttlMs, answer: run(), bytes: 0 };
    this.#entries.set(key, entry);
    this.#evict();
    try {
      const answer = await entry.answer;
      if (this.#entries.get(key) === entry) {
        entry.bytes = sizeOf(answer) + key.length + fingerprint.length;
        this.#bytes += entry.bytes;
        this.#evict();
      }
      return { answer, replay: false };
    } catch (error) {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw error;
    }
  }

  #expire(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#remove(key, entry);
    }
  }

  #evict(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#remove(key, entry);
    }
  }

  #remove(key: string, entry: Entry<T>): void {
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}
