import type { PipelineRunner, RunStatus } from '../runtime/index.ts';

/** A run's status as JSON (RunStatus with `name` for `pipeline`, the error as `{ code, message }`). */
export type PipelineStatusJson = Omit<RunStatus, 'pipeline' | 'lastCheckpointSequence' | 'error'> & {
  name: string;
  error?: { code: string; message: string };
};

/** `run.status()` as the API sends it (/api/pipelines, /api/live). */
export function pipelineStatusJson(run: PipelineRunner): PipelineStatusJson {
  const { pipeline, error, lastCheckpointSequence: _sequence, ...status } = run.status();
  return {
    name: pipeline,
    ...status,
    ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
  };
}
