import type { FormatSpec, PlanBuilder } from '../plan/index.ts';

/** Where a DSL value sits in the plan being built: the builder, its node, and the key format there. */
export interface DslNode {
  readonly builder: PlanBuilder;
  readonly id: number;
  readonly keyFormat: FormatSpec;
}
