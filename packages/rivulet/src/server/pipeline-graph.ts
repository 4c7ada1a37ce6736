import { buildTopology, nodeLabel, type Plan, type PlanNode } from '../plan/index.ts';

export interface PipelineGraph {
  nodes: Array<{ id: number; kind: string; label: string; name?: string; topic?: string }>;
  edges: Array<{ from: number; to: number }>;
  subTopologies: Array<{ id: number; nodeIds: number[]; inputs: string[]; stores: string[] }>;
}

/**
 * A plan as a graph for display: every node (its label is `nodeLabel`; sources and sinks also name
 * their topic), an edge from each input to the node reading it, and the sub-topologies the runtime
 * splits the plan into (the tasks of one run one sub-topology per partition).
 */
export function pipelineGraph(plan: Plan): PipelineGraph {
  return {
    nodes: plan.nodes.map((node) => ({
      id: node.id,
      kind: node.kind,
      label: nodeLabel(node),
      ...('name' in node ? { name: node.name } : {}),
      ...(node.kind === 'source' || node.kind === 'sink' ? { topic: node.topic } : {}),
    })),
    edges: plan.nodes.flatMap((node) => node.inputs.map((from) => ({ from, to: node.id }))),
    subTopologies: buildTopology(plan).subTopologies.map((sub) => ({
      id: sub.id,
      nodeIds: [...sub.nodeIds],
      inputs: sub.inputs.map((i) => i.topic),
      stores: sub.stores.map((s) => s.name),
    })),
  };
}

/** The nodes reading each node's output. */
function readers(plan: Plan): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const node of plan.nodes)
    for (const input of node.inputs) {
      const list = out.get(input);
      if (list === undefined) out.set(input, [node.id]);
      else list.push(node.id);
    }
  return out;
}

/** The topics of the (non-blackhole) sinks downstream of node `from`, along any path. */
export function downstreamSinkTopics(plan: Plan, from: number): string[] {
  const next = readers(plan);
  const seen = new Set<number>([from]);
  const queue = [from];
  const topics = new Set<string>();
  while (queue.length > 0) {
    const id = queue.shift()!;
    const node = plan.nodes[id]!;
    if (node.kind === 'sink' && node.blackhole !== true) topics.add(node.topic);
    for (const reader of next.get(id) ?? [])
      if (!seen.has(reader)) {
        seen.add(reader);
        queue.push(reader);
      }
  }
  return [...topics];
}

/** The user-given name of a node, or its label. */
export function operatorName(node: PlanNode): string {
  return 'name' in node ? node.name : nodeLabel(node);
}

/** Which alerting operator a node is: the DSL marks the process nodes of `crosses` and `silence`. */
export function alertOperator(node: PlanNode): 'crosses' | 'silence' | undefined {
  return node.kind === 'process' ? node.alert : undefined;
}

/** Sink topics fed by a `late` output (windowLate nodes), with the operator whose late records they are. */
export function lateTopics(plan: Plan): Array<{ topic: string; operator: string }> {
  return plan.nodes.flatMap((node) =>
    node.kind !== 'windowLate'
      ? []
      : downstreamSinkTopics(plan, node.id).map((topic) => ({
          topic,
          operator: operatorName(plan.nodes[node.inputs[0]!]!),
        })),
  );
}

/** Sink topics fed by a crosses or silence operator. */
export function alertTopics(plan: Plan): Array<{ topic: string; operator: string }> {
  return plan.nodes.flatMap((node) =>
    alertOperator(node) === undefined
      ? []
      : downstreamSinkTopics(plan, node.id).map((topic) => ({ topic, operator: operatorName(node) })),
  );
}
