import type { FunctionRef, Plan, PlanNode, UserFunction } from './plan-node.ts';

/** A node as a front end describes it: everything but the id, which the builder assigns. */
export type NodeDraft = PlanNode extends infer N ? (N extends PlanNode ? Omit<N, 'id'> : never) : never;

/**
 * Accumulates nodes and functions for one pipeline; `build()` returns the frozen Plan. Used by the DSL and
 * SQL front ends. Not thread-safe; a builder belongs to one front end.
 */
export class PlanBuilder {
  readonly pipeline: string;
  readonly #nodes: PlanNode[] = [];
  readonly #functions = new Map<FunctionRef, UserFunction>();

  constructor(pipeline: string) {
    this.pipeline = pipeline;
  }

  /** Registers a user function; returns its reference (`f<n>`). */
  fn(f: UserFunction): FunctionRef {
    const ref = `f${this.#functions.size}`;
    this.#functions.set(ref, f);
    return ref;
  }

  /** Adds a node; returns its id (its index in `nodes`). */
  add(draft: NodeDraft): number {
    const id = this.#nodes.length;
    this.#nodes.push(deepFreeze({ ...draft, id } as PlanNode));
    return id;
  }

  node(id: number): PlanNode | undefined {
    return this.#nodes[id];
  }

  build(): Plan {
    return Object.freeze({
      pipeline: this.pipeline,
      nodes: Object.freeze(this.#nodes.slice()),
      functions: new Map(this.#functions),
    });
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The plan as JSON-ready data (functions appear as their references only). */
export function planToJson(plan: Plan): {
  pipeline: string;
  nodes: readonly PlanNode[];
  functions: string[];
} {
  return { pipeline: plan.pipeline, nodes: plan.nodes, functions: [...plan.functions.keys()] };
}
