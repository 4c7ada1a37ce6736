/**
 * Where a source reader's `poll` waits when it has nothing to return: `wait(ms, signal)` resolves after
 * `ms`, when `signal` aborts, or when `wake()` is called (records arrived, the reader failed or is
 * closing), whichever comes first; it never rejects. One wait at a time (a reader's polls never
 * overlap). A `wake()` while nobody waits is dropped, or with `remember` kept for the next `wait`, which
 * then returns at once (for readers that learn of new data by events, e.g. file-change notifications).
 */
export class PollWaiter {
  readonly #remember: boolean;
  #wake: (() => void) | undefined;
  #pending = false;

  constructor(options: { remember?: boolean } = {}) {
    this.#remember = options.remember ?? false;
  }

  /** True while a `wait` is in progress. */
  get waiting(): boolean {
    return this.#wake !== undefined;
  }

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#pending || signal?.aborted || !(ms > 0)) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }

  wake(): void {
    const wake = this.#wake;
    if (wake === undefined) {
      if (this.#remember) this.#pending = true;
      return;
    }
    this.#pending = false;
    wake();
  }
}
