import dagre from '@dagrejs/dagre';
import type { PipelineGraph } from './api-types.ts';

export interface PlacedNode {
  id: string;
  /** Centre. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  points: { x: number; y: number }[];
  /** Where the edge's label goes (its centre). */
  labelX: number;
  labelY: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: Map<string, PlacedNode>;
  edges: PlacedEdge[];
}

const NODE_HEIGHT = 44;
const CHAR_WIDTH = 7.2;
const EDGE_LABEL = { width: 84, height: 16 };

/** Node width from its longest text line, so labels fit at the 12px font the graph uses. */
export function nodeWidth(lines: readonly string[]): number {
  return Math.max(96, Math.ceil(Math.max(...lines.map((l) => l.length)) * CHAR_WIDTH) + 24);
}

/**
 * Lays the pipeline's operator graph out top to bottom with dagre (layered, edges with room for a rate
 * label). `lines(id)` gives the text a node shows, which sets its width. Edges naming unknown nodes are
 * left out. Pure: the same graph gives the same layout.
 */
export function layoutGraph(graph: PipelineGraph, lines: (id: string) => readonly string[]): GraphLayout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 36, ranksep: 52, edgesep: 16, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    const id = String(node.id);
    g.setNode(id, { width: nodeWidth(lines(id)), height: NODE_HEIGHT });
  }
  graph.edges.forEach((edge, i) => {
    const from = String(edge.from);
    const to = String(edge.to);
    if (g.hasNode(from) && g.hasNode(to)) g.setEdge(from, to, { ...EDGE_LABEL, labelpos: 'c' }, `e${i}`);
  });
  dagre.layout(g);
  const nodes = new Map<string, PlacedNode>();
  for (const id of g.nodes()) {
    const n = g.node(id);
    nodes.set(id, { id, x: n.x, y: n.y, width: n.width, height: n.height });
  }
  const edges = g.edges().map((e): PlacedEdge => {
    const label = g.edge(e);
    const points = label.points;
    const middle = points[Math.floor(points.length / 2)] ?? { x: 0, y: 0 };
    return {
      from: e.v,
      to: e.w,
      points,
      labelX: typeof label.x === 'number' ? label.x : middle.x,
      labelY: typeof label.y === 'number' ? label.y : middle.y,
    };
  });
  const size = g.graph();
  return { width: size.width ?? 0, height: size.height ?? 0, nodes, edges };
}
