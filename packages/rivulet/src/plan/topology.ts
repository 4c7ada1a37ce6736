import { EngineError } from '../model/index.ts';
import {
  type FormatSpec,
  keyedStatefulKinds,
  nodeStores,
  type Plan,
  type PlanNode,
  type StoreSpec,
} from './plan-node.ts';

/** A topic a sub-topology reads: a user topic (source node) or a repartition topic. */
export interface TopologyInput {
  topic: string;
  kind: 'source' | 'repartition';
  /** The source node (for `source`), or the keyBy node whose output the repartition topic carries. */
  nodeId: number;
  keyFormat: FormatSpec;
  valueFormat: FormatSpec;
  /** A table's topic (`pipeline.table`): read to its end at start, and first in every step. */
  table: boolean;
  /**
   * A global table's topic: every task reads all of its partitions, from the start at every start (not
   * checkpointed; its partition count is not the sub-topology's).
   */
  global: boolean;
}

export interface TopologyStore extends StoreSpec {
  operator: string;
  changelogTopic: string;
  /**
   * The runtime may keep this store's values decoded between checkpoints: a built-in aggregation's (keyed
   * or windowed), whose operator never mutates a value it read except to put it back, or a processor
   * store declared `keepDecoded`. Other processor stores are not.
   */
  cacheDecoded: boolean;
}

/**
 * A connected part of the plan between topics. The runtime runs one task per (sub-topology, partition);
 * all inputs of a sub-topology must have the same partition count (co-partitioning).
 */
export interface SubTopology {
  id: number;
  nodeIds: number[];
  inputs: TopologyInput[];
  /** keyBy nodes whose output is written to a repartition topic read by a later sub-topology. */
  repartitions: Array<{ keyByNodeId: number; topic: string; keyFormat: FormatSpec }>;
  stores: TopologyStore[];
  sinks: Array<{ nodeId: number; name: string; topic: string }>;
}

export interface Topology {
  pipeline: string;
  subTopologies: SubTopology[];
  /** Topics the engine owns: repartition and changelog topics. */
  internalTopics: Array<{ topic: string; kind: 'repartition' | 'changelog' }>;
}

export function repartitionTopicName(pipeline: string, node: PlanNode): string {
  return `${pipeline}-${node.kind}${node.id}-repartition`;
}

/**
 * How the records leaving node `id` encode their keys: the format of the nearest source or keyBy up its
 * first inputs (what their partitioning was computed from).
 */
export function recordKeyFormat(plan: Plan, id: number): FormatSpec {
  const node = plan.nodes[id]!;
  if (node.kind === 'source' || node.kind === 'keyBy') return node.keyFormat;
  return node.inputs.length > 0 ? recordKeyFormat(plan, node.inputs[0]!) : { kind: 'bytes' };
}

export interface TopologyOptions {
  /**
   * groupByKey nodes to repartition anyway: the runtime asks for it when the source behind one has
   * another partition count than the inputs it meets (automatic co-partitioning).
   */
  repartitionGroupByKey?: ReadonlySet<number>;
}

export function changelogTopicName(pipeline: string, store: string): string {
  return `${pipeline}-${store}-changelog`;
}

export const internalValueFormat: FormatSpec = Object.freeze({ kind: 'structured' });

/**
 * Splits a plan into sub-topologies. A keyBy whose output reaches a keyed stateful operator (aggregate,
 * process) before another keyBy is a repartition point: its records are written to a repartition topic
 * keyed by the new key and read back, partitioned by that key, by the sub-topology of the stateful
 * operator. Every other edge keeps both ends in one sub-topology (connected components).
 */
export function buildTopology(plan: Plan, options: TopologyOptions = {}): Topology {
  const nodes = plan.nodes;
  const children: number[][] = nodes.map(() => []);
  for (const node of nodes) for (const input of node.inputs) children[input]?.push(node.id);

  const reachesKeyedState = (start: number): boolean => {
    const stack = [...(children[start] ?? [])];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const node = nodes[id]!;
      if (keyedStatefulKinds.has(node.kind)) return true;
      if (node.kind === 'keyBy') continue;
      stack.push(...children[id]!);
    }
    return false;
  };
  const forced = options.repartitionGroupByKey ?? new Set<number>();
  const repartitionPoints = new Set(
    nodes
      .filter(
        (n) =>
          (n.kind === 'keyBy' && reachesKeyedState(n.id)) || (n.kind === 'groupByKey' && forced.has(n.id)),
      )
      .map((n) => n.id),
  );

  // Union-find over the edges that are not cut by a repartition.
  const parent = nodes.map((n) => n.id);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  // A global table's nodes belong to no sub-topology of their own: each one joining it gets a copy.
  const isGlobal = (id: number): boolean => {
    const n = nodes[id];
    return (
      (n?.kind === 'source' && n.role === 'globalTable') || (n?.kind === 'toTable' && n.store.global === true)
    );
  };
  for (const node of nodes) {
    if (isGlobal(node.id)) continue;
    for (const input of node.inputs) {
      if (!repartitionPoints.has(input) && !isGlobal(input)) parent[find(node.id)] = find(input);
    }
  }
  // Every reader of a repartition topic joins one sub-topology, so each of the topic's partitions is read
  // by one task: a checkpoint holds one position per input partition, and two tasks reading at their own
  // pace could not both be restored to it (one would count records twice, the other skip them).
  for (const point of repartitionPoints) {
    const [first, ...rest] = children[point]!;
    for (const child of rest) parent[find(child)] = find(first!);
  }
  const groups = new Map<number, number[]>();
  for (const node of nodes) {
    if (isGlobal(node.id)) continue;
    const root = find(node.id);
    const group = groups.get(root);
    if (group === undefined) groups.set(root, [node.id]);
    else group.push(node.id);
  }
  const ordered = [...groups.values()].sort((a, b) => a[0]! - b[0]!);
  const subTopologyOf = new Map<number, number>();
  ordered.forEach((ids, index) => {
    for (const id of ids) subTopologyOf.set(id, index);
  });

  const internalTopics: Topology['internalTopics'] = [];
  const subTopologies: SubTopology[] = ordered.map((nodeIds, id) => ({
    id,
    nodeIds,
    inputs: [],
    repartitions: [],
    stores: [],
    sinks: [],
  }));
  for (const node of nodes) {
    if (isGlobal(node.id)) continue;
    const sub = subTopologies[subTopologyOf.get(node.id)!]!;
    if (node.kind === 'source') {
      sub.inputs.push({
        topic: node.topic,
        kind: 'source',
        nodeId: node.id,
        keyFormat: node.keyFormat,
        valueFormat: node.valueFormat,
        table: node.role === 'table',
        global: false,
      });
    }
    if (node.kind === 'sink' && node.blackhole !== true)
      sub.sinks.push({ nodeId: node.id, name: node.name, topic: node.topic });
    if ((node.kind === 'keyBy' || node.kind === 'groupByKey') && repartitionPoints.has(node.id)) {
      const topic = repartitionTopicName(plan.pipeline, node);
      const keyFormat = recordKeyFormat(plan, node.id);
      sub.repartitions.push({ keyByNodeId: node.id, topic, keyFormat });
      internalTopics.push({ topic, kind: 'repartition' });
      for (const child of children[node.id]!) {
        const readers = subTopologies[subTopologyOf.get(child)!]!;
        if (!readers.inputs.some((i) => i.topic === topic)) {
          readers.inputs.push({
            topic,
            kind: 'repartition',
            nodeId: node.id,
            keyFormat,
            valueFormat: internalValueFormat,
            table: false,
            global: false,
          });
        }
      }
    }
    const stores = nodeStores(node);
    for (const store of stores) {
      const changelogTopic = changelogTopicName(plan.pipeline, store.name);
      sub.stores.push({
        ...store,
        operator: 'name' in node ? node.name : `${node.kind}#${node.id}`,
        changelogTopic,
        // Not tables nor stream-stream joins: joins hand their rows and buffered records to user functions.
        cacheDecoded:
          node.kind === 'aggregate' || node.kind === 'windowAggregate' || store.keepDecoded === true,
      });
      internalTopics.push({ topic: changelogTopic, kind: 'changelog' });
    }
  }
  for (const sub of subTopologies) {
    const tables = new Set<number>();
    for (const id of sub.nodeIds) {
      const node = nodes[id]!;
      if (node.kind === 'globalTableJoin' || node.kind === 'foreignKeyJoin') tables.add(node.inputs[1]!);
    }
    for (const id of tables) {
      const table = nodes[id];
      const source = nodes[table?.inputs[0] ?? -1];
      if (table?.kind !== 'toTable' || source?.kind !== 'source') continue; // validation reports it
      sub.nodeIds.push(source.id, table.id);
      sub.inputs.push({
        topic: source.topic,
        kind: 'source',
        nodeId: source.id,
        keyFormat: source.keyFormat,
        valueFormat: source.valueFormat,
        table: true,
        global: true,
      });
      sub.stores.push({
        ...table.store,
        operator: `toTable#${table.id}`,
        changelogTopic: changelogTopicName(plan.pipeline, table.store.name),
        cacheDecoded: false,
      });
    }
    sub.nodeIds.sort((a, b) => a - b);
  }
  // Tables' topics first: a task reads its inputs in this order.
  for (const sub of subTopologies) sub.inputs.sort((a, b) => Number(b.table) - Number(a.table));
  // One task per input partition (see above): two sources on one topic are refused by validatePlan.
  const readers = new Map<string, number>();
  for (const sub of subTopologies) {
    for (const input of sub.inputs) {
      if (input.global) continue;
      const other = readers.get(input.topic);
      if (other !== undefined && other !== sub.id)
        throw new EngineError(
          'INVALID_PLAN',
          `pipeline '${plan.pipeline}': topic '${input.topic}' would be read by two sub-topologies (${other} and ${sub.id}); read it through one source`,
          { details: { pipeline: plan.pipeline, topic: input.topic } },
        );
      readers.set(input.topic, sub.id);
    }
  }
  return { pipeline: plan.pipeline, subTopologies, internalTopics };
}
