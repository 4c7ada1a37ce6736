import type { TaskExecutor } from './task-executor.ts';
import type { TaskCut, TaskSet } from './task-set.ts';

/**
 * Drives a TaskSet: steps while there is input, waits for input otherwise, and stops for checkpoint
 * cuts. `cut()` asks the loop to stop after its current step; the loop then takes the set's cut, hands
 * it back and stays paused until `resume()`, so nothing is processed between the cut and the moment the
 * coordinator has recorded the log's end offsets. `stop()` takes a final cut and closes the stores.
 * `done` rejects with the first error (a failed step, flush or store close); pending cuts reject with it.
 */
export class TaskLoop implements TaskExecutor {
  readonly #tasks: TaskSet;
  readonly #idleWaitMs: number;
  #cutRequest: { resolve(cut: TaskCut): void; reject(error: unknown): void } | undefined;
  #resume: (() => void) | undefined;
  #stopRequested = false;
  #wake = new AbortController();
  #finalCut: TaskCut | undefined;
  readonly done: Promise<void>;

  constructor(tasks: TaskSet, idleWaitMs: number) {
    this.#tasks = tasks;
    this.#idleWaitMs = idleWaitMs;
    this.done = this.#run();
    // A failure is reported through `done` and pending cuts; never as an unhandled rejection here.
    this.done.catch(() => undefined);
  }

  /** Pauses after the current step and resolves with the cut; the loop waits for `resume()`. */
  cut(): Promise<TaskCut> {
    if (this.#cutRequest !== undefined || this.#resume !== undefined)
      return Promise.reject(new Error('a cut is already pending'));
    return new Promise<TaskCut>((resolve, reject) => {
      this.#cutRequest = { resolve, reject };
      this.#wake.abort();
      this.done.catch(reject);
    });
  }

  resume(): void {
    const resume = this.#resume;
    this.#resume = undefined;
    resume?.();
  }

  /** Finishes the current step, takes the final cut, closes the stores; resolves with that cut. */
  async stop(): Promise<TaskCut> {
    this.#stopRequested = true;
    this.#wake.abort();
    this.resume();
    await this.done;
    return this.#finalCut!;
  }

  /** Stops as `stop` does, ignoring a failure (another executor failed; this cut is not used). */
  async terminate(): Promise<void> {
    await this.stop().catch(() => undefined);
  }

  async #run(): Promise<void> {
    // Let the creator attach its handlers before the first step can fail.
    await Promise.resolve();
    try {
      while (!this.#stopRequested) {
        const request = this.#cutRequest;
        if (request !== undefined) {
          const cut = await this.#tasks.cut();
          const resumed = new Promise<void>((resolve) => {
            this.#resume = resolve;
          });
          this.#cutRequest = undefined;
          request.resolve(cut);
          await resumed;
          continue;
        }
        const processed = await this.#tasks.step();
        if (processed === 0 && this.#cutRequest === undefined && !this.#stopRequested) {
          if (this.#wake.signal.aborted) this.#wake = new AbortController();
          await this.#tasks.waitForInput(this.#idleWaitMs, this.#wake.signal);
        }
      }
      this.#finalCut = await this.#tasks.cut();
      const request = this.#cutRequest;
      this.#cutRequest = undefined;
      request?.resolve(this.#finalCut);
    } finally {
      await this.#tasks.close();
    }
  }
}
