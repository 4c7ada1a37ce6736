import type { PipelineRunner } from '../runtime/index.ts';

/** A run's status as JSON (RunStatus with `name` for `pipeline`, the error as `{ code, message }`). */
export interface PipelineStatusJson {
  name: string;
  state: 'running' | 'stopped' | 'failed';
  recordsIn: number;
  lag: number;
  checkpoints: number;
  workers: number;
  errors: Record<string, { skipped: number; deadLettered: number }>;
  late: Record<string, number>;
  storeEntries: Record<string, number>;
  watermarks: Record<string, number | null>;
  error?: { code: string; message: string };
}

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
