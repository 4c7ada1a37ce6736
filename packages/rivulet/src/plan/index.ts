export { explainPlan } from './explain-plan.ts';
export { type NodeDraft, PlanBuilder, planToJson } from './plan-builder.ts';
export type { PlanIssue } from './plan-issue.ts';
export {
  type AggregateNode,
  type AggregateOp,
  type BranchNode,
  type BranchOutputNode,
  type FilterNode,
  type FlatMapNode,
  type FormatSpec,
  type FunctionRef,
  type KeyByNode,
  keyedStatefulKinds,
  type MapAsyncNode,
  type MapNode,
  type MergeNode,
  nodeLabel,
  nodeStores,
  type PeekNode,
  type Plan,
  type PlanNode,
  type PlanNodeKind,
  type ProcessNode,
  type SinkNode,
  type SourceNode,
  type StoreSpec,
  type ToStreamNode,
  type UserFunction,
} from './plan-node.ts';
export {
  buildTopology,
  changelogTopicName,
  internalValueFormat,
  repartitionTopicName,
  type SubTopology,
  type Topology,
  type TopologyInput,
  type TopologyStore,
} from './topology.ts';
export { validatePlan } from './validate-plan.ts';
