import type { TaskCut } from './task-set.ts';

/**
 * What a pipeline's coordinator drives: a set of running tasks, in this thread (a TaskLoop) or in a
 * worker thread (a WorkerExecutor). `cut` pauses them after their current step and resolves with their
 * checkpoint cut; they stay paused until `resume`. `stop` takes the final cut and closes their stores.
 * `done` rejects with the error that stopped them.
 */
export interface TaskExecutor {
  cut(): Promise<TaskCut>;
  resume(): void;
  stop(): Promise<TaskCut>;
  readonly done: Promise<void>;
  /** Ends the tasks without a final cut (another executor failed). */
  terminate(): Promise<void>;
}
