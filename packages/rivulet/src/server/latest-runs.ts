import type { Engine } from '../engine.ts';
import type { PipelineRunner } from '../runtime/index.ts';

/**
 * The newest run of each pipeline name, in start order: what the metrics and the live view report (a
 * pipeline restarted on the same engine would otherwise appear twice with the same labels).
 */
export function latestRuns(engine: Engine): PipelineRunner[] {
  const latest = new Map<string, PipelineRunner>();
  for (const run of engine.runs()) {
    latest.delete(run.plan.pipeline);
    latest.set(run.plan.pipeline, run);
  }
  return [...latest.values()];
}
