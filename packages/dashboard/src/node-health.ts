import type { GraphNode, PipelineStatus } from './api-types.ts';
import { nodeKey, type OperatorRate, operatorKey } from './live-history.ts';

/** How a topology node is coloured (styles.css `.node-<health>`). */
export type NodeHealth = 'failed' | 'lagging' | 'behind' | 'current' | 'busy' | 'idle';

/** Lag (records past the last checkpoint) from which an input counts as lagging, and as behind. */
export const LAG_BEHIND = 1_000;
export const LAG_LAGGING = 10_000;

/**
 * The live rate of a graph node: by its plan node id when the snapshot carries ids, else by the
 * operator label the runtime uses (`kind 'name'` or `kind#id`, as the graph's label), else its name.
 */
export function nodeRate(
  rates: ReadonlyMap<string, OperatorRate> | undefined,
  pipeline: string,
  node: GraphNode,
): OperatorRate | undefined {
  if (rates === undefined) return undefined;
  const byId = rates.get(nodeKey(pipeline, node.id));
  if (byId !== undefined) return byId;
  const labels = [
    node.label,
    node.name === undefined ? `${node.kind}#${node.id}` : `${node.kind} '${node.name}'`,
  ];
  for (const candidate of [...labels, node.name]) {
    if (candidate === undefined) continue;
    const rate = rates.get(operatorKey(pipeline, candidate));
    if (rate !== undefined) return rate;
  }
  return undefined;
}

/**
 * Inputs (nodes without incoming edges) are coloured by the pipeline's input lag: records in its input
 * partitions past the last checkpoint (the only lag the runtime reports, per pipeline); operators by
 * whether records flowed through them in the last interval. A failed pipeline colours every node.
 */
export function nodeHealth(
  status: PipelineStatus | undefined,
  isInput: boolean,
  rate: OperatorRate | undefined,
): NodeHealth {
  if (status?.state === 'failed') return 'failed';
  if (isInput && status !== undefined) {
    if (status.lag >= LAG_LAGGING) return 'lagging';
    if (status.lag >= LAG_BEHIND) return 'behind';
    return 'current';
  }
  if (rate !== undefined && (rate.inPerSecond > 0 || rate.outPerSecond > 0)) return 'busy';
  return 'idle';
}
