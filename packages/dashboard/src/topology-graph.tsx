import { useMemo } from 'preact/hooks';
import type { GraphNode, PipelineGraph, PipelineStatus } from './api-types.ts';
import { formatCount, formatRate } from './format-value.ts';
import { layoutGraph } from './layout-graph.ts';
import type { OperatorRate } from './live-history.ts';
import { nodeHealth, nodeRate } from './node-health.ts';

interface Props {
  pipeline: string;
  graph: PipelineGraph;
  status: PipelineStatus | undefined;
  rates: ReadonlyMap<string, OperatorRate> | undefined;
}

/** A node shows its user-given name (else its label) over its kind (and topic, for sources and sinks). */
const nodeLines = (node: GraphNode): [string, string] => [
  node.name ?? node.label,
  node.topic === undefined ? node.kind : `${node.kind} · ${node.topic}`,
];

/**
 * The operator graph of one pipeline as SVG: nodes coloured by node-health.ts, each edge labelled with
 * the records/s that went along it over the last live interval (edgeRate). All text is user data
 * (operator names) rendered as SVG text nodes.
 */
export function TopologyGraph({ pipeline, graph, status, rates }: Props) {
  const byId = useMemo(() => new Map(graph.nodes.map((n) => [String(n.id), n])), [graph]);
  const lines = (id: string): readonly string[] => {
    const node = byId.get(id);
    return node === undefined ? [id] : nodeLines(node);
  };
  const layout = useMemo(() => layoutGraph(graph, lines), [graph]);
  const inputs = useMemo(() => {
    const count = new Map<string, number>();
    for (const e of graph.edges) count.set(String(e.to), (count.get(String(e.to)) ?? 0) + 1);
    return count;
  }, [graph]);
  /**
   * What flows on an edge: the records/s the downstream node took in when this is its only input (a
   * node with several children passes each only some of what it emits), else what the upstream emitted.
   */
  const edgeRate = (from: string, to: string): number | undefined => {
    const target = byId.get(to);
    if (target !== undefined && inputs.get(to) === 1) {
      const rate = nodeRate(rates, pipeline, target);
      if (rate !== undefined) return rate.inPerSecond;
    }
    const source = byId.get(from);
    return source === undefined ? undefined : nodeRate(rates, pipeline, source)?.outPerSecond;
  };
  return (
    <svg
      class="topology"
      data-testid="topology"
      viewBox={`0 0 ${Math.max(layout.width, 1)} ${Math.max(layout.height, 1)}`}
      width={layout.width}
      height={layout.height}
      role="img"
      aria-label={`operator graph of ${pipeline}`}
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
        </marker>
      </defs>
      {layout.edges.map((edge) => {
        const d = edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
        const label = formatRate(edgeRate(edge.from, edge.to));
        return (
          <g class="edge" key={`${edge.from}-${edge.to}`} data-from={edge.from} data-to={edge.to}>
            <path d={d} marker-end="url(#arrow)" />
            <rect
              x={edge.labelX - 38}
              y={edge.labelY - 8}
              width={76}
              height={16}
              rx={8}
              class="edge-label-bg"
            />
            <text x={edge.labelX} y={edge.labelY + 4} class="edge-label" text-anchor="middle">
              {label}
            </text>
          </g>
        );
      })}
      {[...layout.nodes.values()].map((placed) => {
        const node = byId.get(placed.id);
        if (node === undefined) return null;
        const rate = nodeRate(rates, pipeline, node);
        const health = nodeHealth(status, !inputs.has(placed.id), rate);
        const [title, subtitle] = lines(placed.id);
        return (
          <g
            class={`node node-${health}`}
            key={placed.id}
            data-testid="topology-node"
            data-node-id={placed.id}
            transform={`translate(${placed.x - placed.width / 2},${placed.y - placed.height / 2})`}
          >
            <title>
              {`${node.label} (${node.kind}, id ${placed.id})\n${health}` +
                (rate === undefined
                  ? ''
                  : `\nin ${formatCount(rate.inPerSecond)}/s, out ${formatCount(rate.outPerSecond)}/s`)}
            </title>
            <rect width={placed.width} height={placed.height} rx={6} />
            <text x={placed.width / 2} y={18} class="node-title" text-anchor="middle">
              {title}
            </text>
            {subtitle === undefined ? null : (
              <text x={placed.width / 2} y={34} class="node-kind" text-anchor="middle">
                {subtitle}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
