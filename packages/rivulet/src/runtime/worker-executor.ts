import { Worker } from 'node:worker_threads';
import { type Log, unpackRecords } from '../log/index.ts';
import { EngineError } from '../model/index.ts';
import type { TaskExecutor } from './task-executor.ts';
import type { StoreRestoreProgress, TaskCut } from './task-set.ts';
import {
  type FromWorker,
  fromWireError,
  type LogReply,
  type LogRequest,
  type ToWorker,
  toWireError,
  type WorkerData,
} from './worker-protocol.ts';

// Runs in the new thread as CommonJS: registers tsx when asked, then loads the real entry.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.loader !== undefined) (await import(workerData.loader)).register();
  await import(workerData.entry);
})().catch((error) => { throw error; });
`;

/**
 * The coordinator's handle on one task worker thread. It serves the worker's log requests on the log it
 * owns (fetch as raw batches, append of packed records, long-poll wait; each answered by id, buffers
 * transferred) and turns cut/resume/stop into messages. `done` rejects with the worker's error (rebuilt
 * with its code) or when the thread exits unexpectedly; `terminate` ends the thread at once.
 */
export class WorkerExecutor implements TaskExecutor {
  readonly #log: Log;
  readonly #worker: Worker;
  readonly #label: string;
  readonly #onRestoreProgress: ((progress: StoreRestoreProgress) => void) | undefined;
  readonly #waits = new Map<number, AbortController>();
  #cutWaiter: ((cut: TaskCut) => void) | undefined;
  #stopWaiter: ((cut: TaskCut) => void) | undefined;
  #readyWaiter: (() => void) | undefined;
  #fail!: (error: EngineError) => void;
  #finished = false;
  /** Appends being served: a terminated worker's may still land, and `terminate` waits for them. */
  readonly #appends = new Set<Promise<unknown>>();
  readonly done: Promise<void>;
  #resolveDone!: () => void;

  private constructor(
    log: Log,
    data: WorkerData,
    label: string,
    onRestoreProgress: ((progress: StoreRestoreProgress) => void) | undefined,
  ) {
    this.#log = log;
    this.#label = label;
    this.#onRestoreProgress = onRestoreProgress;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#fail = (error) => {
        if (this.#finished) return;
        this.#finished = true;
        for (const wait of this.#waits.values()) wait.abort();
        reject(error);
      };
    });
    this.done.catch(() => undefined);
    this.#worker = new Worker(BOOTSTRAP, { eval: true, workerData: data });
    this.#worker.on('message', (message: FromWorker) => this.#onMessage(message));
    this.#worker.on('error', (error) =>
      this.#fail(new EngineError('PIPELINE_FAILED', `${label} failed: ${error.message}`, { cause: error })),
    );
    this.#worker.on('exit', (code) => {
      if (!this.#finished)
        this.#fail(new EngineError('PIPELINE_FAILED', `${label} exited with code ${code} while running`));
    });
  }

  /**
   * Starts a worker and resolves once its tasks are restored and running; `onRestoreProgress` receives
   * the worker's (throttled) restore progress reports meanwhile.
   */
  static async start(
    log: Log,
    data: WorkerData,
    label: string,
    onRestoreProgress?: (progress: StoreRestoreProgress) => void,
  ): Promise<WorkerExecutor> {
    const executor = new WorkerExecutor(log, data, label, onRestoreProgress);
    const ready = new Promise<void>((resolve) => {
      executor.#readyWaiter = resolve;
    });
    try {
      await Promise.race([ready, executor.done]);
    } catch (error) {
      await executor.terminate();
      throw error;
    }
    return executor;
  }

  #post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.#finished) this.#worker.postMessage(message, transfer);
  }

  #onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        this.#readyWaiter?.();
        break;
      case 'restore-progress':
        if (!this.#finished) this.#onRestoreProgress?.(message.progress);
        break;
      case 'cut': {
        const waiter = this.#cutWaiter;
        this.#cutWaiter = undefined;
        waiter?.(message.cut);
        break;
      }
      case 'stopped':
        this.#finished = true;
        this.#stopWaiter?.(message.cut);
        this.#resolveDone();
        break;
      case 'failed':
        this.#fail(fromWireError(message.error));
        void this.#worker.terminate();
        break;
      case 'log':
        // Nothing a failed or terminated worker asks for is done any more.
        if (!this.#finished) void this.#serve(message.id, message.request);
        break;
      case 'log-cancel':
        this.#waits.get(message.id)?.abort();
        break;
    }
  }

  async #serve(id: number, request: LogRequest): Promise<void> {
    try {
      const partition = this.#log.partition(request.topic, request.partition);
      let reply: LogReply;
      let transfer: ArrayBuffer[] = [];
      switch (request.op) {
        case 'fetch': {
          const fetched = await partition.fetchBatches(request.offset, request.maxBytes, request.isolation);
          transfer = [fetched.batches.buffer as ArrayBuffer];
          reply = {
            op: 'fetch',
            batches: fetched.batches,
            nextOffset: fetched.nextOffset,
            highWatermark: fetched.highWatermark,
            logStartOffset: fetched.logStartOffset,
          };
          break;
        }
        case 'append': {
          const appending = partition.append(unpackRecords(request.records));
          this.#appends.add(appending);
          const result = await appending.finally(() => this.#appends.delete(appending));
          reply = { op: 'append', ...result, highWatermark: partition.highWatermark };
          break;
        }
        case 'wait': {
          const controller = new AbortController();
          this.#waits.set(id, controller);
          try {
            const ready = await partition.waitForData(request.offset, request.timeoutMs, controller.signal);
            reply = { op: 'wait', ready, highWatermark: partition.highWatermark };
          } finally {
            this.#waits.delete(id);
          }
          break;
        }
      }
      this.#post({ type: 'log-reply', id, reply }, transfer);
    } catch (error) {
      this.#post({ type: 'log-error', id, error: toWireError(error) });
    }
  }

  cut(): Promise<TaskCut> {
    return new Promise<TaskCut>((resolve, reject) => {
      this.#cutWaiter = resolve;
      this.done.catch(reject);
      this.#post({ type: 'cut' });
    });
  }

  resume(): void {
    this.#post({ type: 'resume' });
  }

  stop(): Promise<TaskCut> {
    return new Promise<TaskCut>((resolve, reject) => {
      this.#stopWaiter = resolve;
      this.done.catch(reject);
      this.#post({ type: 'stop' });
    });
  }

  /** Ends the thread at once; resolves when appends it asked for have landed (or failed). */
  async terminate(): Promise<void> {
    this.#fail(new EngineError('PIPELINE_FAILED', `${this.#label} was terminated`));
    await this.#worker.terminate();
    await Promise.allSettled([...this.#appends]);
  }
}
