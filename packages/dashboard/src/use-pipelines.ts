import { type PipelineStatus, pipelineName } from './api-types.ts';
import { useLive } from './use-live.ts';
import { useResource } from './use-resource.ts';

/**
 * The pipelines' statuses: from the latest live snapshot, or from GET /api/pipelines (every 5 s) while
 * no snapshot has come (socket down or not connected yet). Sorted by name.
 */
export function usePipelines(): PipelineStatus[] {
  const { snapshot } = useLive();
  const polled = useResource<{ pipelines: PipelineStatus[] }>(
    snapshot === undefined ? '/api/pipelines' : undefined,
    5000,
  );
  const list = snapshot?.pipelines ?? polled.data?.pipelines ?? [];
  return [...list].sort((a, b) => pipelineName(a).localeCompare(pipelineName(b)));
}
