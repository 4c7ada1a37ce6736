/**
 * A renamed copy of a plan, for running new logic side by side with the old (`rivulet reprocess`): the
 * pipeline is named `<pipeline>-<suffix>`, so its changelog and repartition topics, checkpoints and
 * stores are its own, and every sink topic `<topic>` becomes `<topic>-<suffix>`, so the original outputs
 * are left untouched. Sources keep their topics (a plan never reads a topic it writes: TOPIC_LOOP). The
 * function table is shared; changed nodes are copied and frozen.
 */
import { EngineError } from '../model/index.ts';
import type { Plan, PlanNode } from './plan-node.ts';

export interface RenamePlanOptions {
  /** Appended with a '-' to the pipeline name and to every sink topic. */
  suffix: string;
  /** When set, every source starts there when the renamed pipeline has no checkpoint yet. */
  startFrom?: 'earliest' | 'latest';
}

/** Characters and length of a log topic name (the log's rule, checked here so a bad suffix fails early). */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** The topics the plan's sinks write (blackholes excluded), in node order, without duplicates. */
export function planSinkTopics(plan: Plan): string[] {
  const topics = new Set<string>();
  for (const node of plan.nodes) if (node.kind === 'sink' && node.blackhole !== true) topics.add(node.topic);
  return [...topics];
}

/** The topics the plan's sources read from the log (generators excluded), without duplicates. */
export function planSourceTopics(plan: Plan): string[] {
  const topics = new Set<string>();
  for (const node of plan.nodes)
    if (node.kind === 'source' && node.generator === undefined) topics.add(node.topic);
  return [...topics];
}

/** `name` with the suffix appended: `<name>-<suffix>`. */
export function suffixedName(name: string, suffix: string): string {
  return `${name}-${suffix}`;
}

/**
 * The renamed copy (see the file comment). Throws INVALID_ARGUMENT when the suffix is empty, has a
 * character a topic name cannot have (A-Z a-z 0-9 . _ - only), or makes a renamed topic too long.
 */
export function renamePlan(plan: Plan, options: RenamePlanOptions): Plan {
  const { suffix } = options;
  if (!TOPIC_NAME.test(suffix)) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `invalid suffix '${suffix}': use 1 or more characters from A-Z a-z 0-9 . _ - (it becomes part of topic names)`,
      { details: { suffix } },
    );
  }
  const renamed = new Map(planSinkTopics(plan).map((t) => [t, suffixedName(t, suffix)]));
  for (const topic of renamed.values()) {
    if (!TOPIC_NAME.test(topic)) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `suffix '${suffix}' makes the topic name '${topic}' too long (at most 249 characters)`,
        { details: { suffix, topic } },
      );
    }
  }
  const nodes = plan.nodes.map((node): PlanNode => {
    if (node.kind === 'sink' && node.blackhole !== true) {
      return Object.freeze({ ...node, topic: renamed.get(node.topic) ?? node.topic });
    }
    if (node.kind === 'source' && options.startFrom !== undefined) {
      return Object.freeze({ ...node, startFrom: options.startFrom });
    }
    return node;
  });
  return Object.freeze({
    pipeline: suffixedName(plan.pipeline, suffix),
    nodes: Object.freeze(nodes),
    functions: plan.functions,
  });
}
