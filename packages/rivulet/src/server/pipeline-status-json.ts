import type { PipelineRunner, RunStatus } from '../runtime/index.ts';

/** A run's status as JSON (RunStatus with `name` for `pipeline`, the error as `{ code, message }`). */
export type PipelineStatusJson = Omit<RunStatus, 'pipeline' | 'lastCheckpointSequence' | 'error'> & {
  name: string;
  error?: { code: string; message: string };
};

/** `run.status()` as the API sends it (/api/pipelines, /api/live). */
export function pipelineStatusJson(run: PipelineRunner): PipelineStatusJson {
  const {
    pipeline,
    state,
    recordsIn,
    lag,
    checkpoints,
    workers,
    errors,
    late,
    storeEntries,
    watermarks,
    error,
  } = run.status();
  return {
    name: pipeline,
    state,
    recordsIn,
    lag,
    checkpoints,
    workers,
    errors,
    late,
    storeEntries,
    watermarks,
    ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
  };
}
