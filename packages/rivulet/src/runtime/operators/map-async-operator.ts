import type { StreamRecord } from '../stream-record.ts';
import { Operator } from './operator.ts';

type AsyncFn = (
  value: unknown,
  context: { key: unknown; timestamp: number; headers: StreamRecord['headers'] },
) => Promise<unknown>;

/**
 * Maps each value with an async function, at most `concurrency` calls in flight. Batches are handled one
 * after another and results are emitted in input order (so per-key order holds), once the whole batch
 * has settled. `process` returns at once; the task awaits `settled()` before its next batch and before a
 * checkpoint, so no call is in flight when the checkpoint is taken. A call that rejects goes to the
 * error policy (`process` boundary); under `fail` the error surfaces from `settled()`.
 */
export class MapAsyncOperator extends Operator {
  #queue: Promise<void> = Promise.resolve();
  #error: unknown;
  #inFlight = 0;
  /** The most calls seen in flight at once (for tests and metrics). */
  maxInFlight = 0;

  constructor(
    label: string,
    private readonly fn: AsyncFn,
    private readonly concurrency: number,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    this.#queue = this.#queue
      .then(() => (this.#error === undefined ? this.#run(batch) : undefined))
      .catch((error: unknown) => {
        this.#error ??= error;
      });
  }

  async #run(batch: StreamRecord[]): Promise<void> {
    const results: Array<{ value: unknown } | { error: unknown }> = new Array(batch.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const i = next++;
        const record = batch[i]!;
        this.#inFlight++;
        if (this.#inFlight > this.maxInFlight) this.maxInFlight = this.#inFlight;
        try {
          results[i] = {
            value: await this.fn(record.value, {
              key: record.key,
              timestamp: record.timestamp,
              headers: record.headers,
            }),
          };
        } catch (error) {
          results[i] = { error };
        } finally {
          this.#inFlight--;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batch.length) }, worker));
    const kept: StreamRecord[] = [];
    for (let i = 0; i < batch.length; i++) {
      const result = results[i]!;
      const record = batch[i]!;
      if ('error' in result) this.reject(result.error, record);
      else {
        record.value = result.value;
        kept.push(record);
      }
    }
    this.emit(kept);
  }

  /** Resolves when every batch handed to `process` has been emitted; rethrows a `fail` error. */
  async settled(): Promise<void> {
    await this.#queue;
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      throw error;
    }
  }
}
