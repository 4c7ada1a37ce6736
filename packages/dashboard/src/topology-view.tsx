import { type PipelineDetail, pipelineName } from './api-types.ts';
import { segment } from './fetch-json.ts';
import { PipelineSummary } from './pipeline-summary.tsx';
import { TopologyGraph } from './topology-graph.tsx';
import { useLive } from './use-live.ts';
import { usePipelines } from './use-pipelines.ts';
import { useResource } from './use-resource.ts';

function PipelineTopology({ name }: { name: string }) {
  const { snapshot, history } = useLive();
  // The graph does not change while a pipeline runs: fetched once per pipeline.
  const detail = useResource<PipelineDetail>(`/api/pipelines/${segment(name)}`);
  const status = snapshot?.pipelines.find((p) => pipelineName(p) === name) ?? detail.data;
  return (
    <section class="card" data-testid="pipeline-topology" data-pipeline={name}>
      <h2>{name}</h2>
      {status === undefined ? null : <PipelineSummary status={status} />}
      {detail.error === undefined ? null : <p class="error-text">{detail.error.message}</p>}
      {detail.data === undefined ? (
        <p class="muted">loading graph…</p>
      ) : (
        <>
          <div class="graph-scroll">
            <TopologyGraph
              pipeline={name}
              graph={detail.data.graph}
              status={status}
              rates={history.latest()?.rates}
            />
          </div>
          <details>
            <summary>explain</summary>
            <pre>{detail.data.explain}</pre>
          </details>
        </>
      )}
    </section>
  );
}

/** (a) Every pipeline's operator graph with live edge rates, coloured by input lag and activity. */
export function TopologyView() {
  const pipelines = usePipelines();
  if (pipelines.length === 0) return <p class="muted">No pipeline is running.</p>;
  return (
    <div>
      <Legend />
      {pipelines.map((p) => (
        <PipelineTopology key={pipelineName(p)} name={pipelineName(p)} />
      ))}
    </div>
  );
}

function Legend() {
  return (
    <p class="legend">
      <span class="swatch node-current" /> input caught up
      <span class="swatch node-behind" /> input behind (≥ 1k)
      <span class="swatch node-lagging" /> input lagging (≥ 10k)
      <span class="swatch node-busy" /> records flowing
      <span class="swatch node-idle" /> idle
      <span class="swatch node-failed" /> failed · edges: records/s over the last second
    </p>
  );
}
