/**
 * The entry of a task worker thread (started by WorkerExecutor): loads the pipeline from its module,
 * checks it is the coordinator's plan, creates and restores its tasks over a RemoteLog, reports
 * `ready`, then runs them in a TaskLoop, answering `cut`, `resume` and `stop`. Any failure is reported
 * as `failed` with the error's code, and the thread ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EngineError } from '../model/index.ts';
import { buildTopology, planToJson } from '../plan/index.ts';
import { loadPipelineModule } from './pipeline-module.ts';
import { RemoteLog } from './remote-log.ts';
import { TaskLoop } from './task-loop.ts';
import { type StoreRestoreProgress, TaskSet } from './task-set.ts';
import {
  type FromWorker,
  RESTORE_PROGRESS_INTERVAL_MS,
  type ToWorker,
  toWireError,
  type WorkerData,
} from './worker-protocol.ts';

const port = parentPort!;
const data = workerData as WorkerData;
const post = (message: FromWorker): void => port.postMessage(message);
const log = new RemoteLog(port, data.topics, data.partitions);
let loop: TaskLoop | undefined;

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'log-reply':
      log.settle(message.id, message.reply, undefined);
      break;
    case 'log-error':
      log.settle(message.id, undefined, message.error);
      break;
    case 'cut':
      loop!.cut().then(
        (cut) => post({ type: 'cut', cut }),
        () => undefined, // reported through `done`
      );
      break;
    case 'resume':
      loop!.resume();
      break;
    case 'stop':
      loop!.stop().then(
        (cut) => {
          post({ type: 'stopped', cut });
          port.close();
        },
        () => undefined,
      );
      break;
  }
});

async function main(): Promise<void> {
  const plan = await loadPipelineModule(data.module, data.exportName, { registerLoader: false });
  if (JSON.stringify(planToJson(plan)) !== data.fingerprint) {
    throw new EngineError(
      'INVALID_PLAN',
      `the pipeline ${data.module} exports in a worker thread differs from the one being run; a module run with parallelism > 1 must build the same pipeline every time it is imported`,
      { details: { module: data.module, export: data.exportName } },
    );
  }
  const tasks = await TaskSet.create({
    plan,
    topology: buildTopology(plan, { repartitionGroupByKey: new Set(data.repartitionGroupByKey) }),
    log,
    assignments: data.assignments,
    clock: log.clock,
    fetchBytes: data.fetchBytes,
    stateDir: data.stateDir,
    errors: data.errors,
    upstreamTasks: new Map(data.upstreamTasks),
  });
  try {
    await tasks.restore(data.start, data.restoreProgress ? throttledProgress() : undefined);
  } catch (error) {
    await tasks.close().catch(() => undefined);
    throw error;
  }
  loop = new TaskLoop(tasks, data.idleWaitMs);
  post({ type: 'ready' });
  await loop.done;
}

/**
 * Posts restore progress at most once per store partition per RESTORE_PROGRESS_INTERVAL_MS, and always
 * the report that ends a store partition's replay.
 */
function throttledProgress(): (progress: StoreRestoreProgress) => void {
  const lastPosted = new Map<string, number>();
  return (progress) => {
    const key = `${progress.store}\u0000${progress.partition}`;
    const now = performance.now();
    const last = lastPosted.get(key);
    if (
      progress.offset < progress.upToOffset &&
      last !== undefined &&
      now - last < RESTORE_PROGRESS_INTERVAL_MS
    )
      return;
    lastPosted.set(key, now);
    post({ type: 'restore-progress', progress });
  };
}

main().catch((error: unknown) => {
  post({ type: 'failed', error: toWireError(error) });
  port.close();
});
