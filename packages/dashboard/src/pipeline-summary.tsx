import type { PipelineStatus } from './api-types.ts';
import { formatCount, formatTime } from './format-value.ts';

/** One line of a pipeline's status figures (as of its last checkpoint). */
export function PipelineSummary({ status }: { status: PipelineStatus }) {
  const errors = Object.entries(status.errors ?? {});
  const late = Object.values(status.late ?? {}).reduce((a, b) => a + b, 0);
  return (
    <div class="summary">
      <span class={`state state-${status.state}`}>{status.state}</span>
      <span>
        records in <b>{formatCount(status.recordsIn)}</b>
      </span>
      <span>
        lag <b>{formatCount(status.lag)}</b>
      </span>
      <span>
        checkpoints <b>{formatCount(status.checkpoints)}</b>
      </span>
      <span>
        workers <b>{status.workers}</b>
      </span>
      {errors.map(([boundary, counts]) => (
        <span key={boundary}>
          {boundary} errors <b>{counts.skipped}</b> skipped, <b>{counts.deadLettered}</b> dead-lettered
        </span>
      ))}
      {late > 0 ? (
        <span>
          late <b>{formatCount(late)}</b>
        </span>
      ) : null}
      {Object.entries(status.watermarks ?? {}).map(([name, wm]) => (
        <span key={name}>
          watermark {name} <b>{formatTime(wm)}</b>
        </span>
      ))}
      {status.error === undefined ? null : (
        <span class="error-text">
          {status.error.code}: {status.error.message}
        </span>
      )}
    </div>
  );
}
