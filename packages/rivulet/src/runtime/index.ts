export {
  CHECKPOINT_TOPIC,
  type Checkpoint,
  checkpointMismatch,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoints,
} from './checkpoint.ts';
export {
  type Boundary,
  deadLetterTopics,
  type ErrorPolicies,
  type ErrorPolicy,
  ErrorRouter,
  validatePolicies,
} from './error-policy.ts';
export { codecFor } from './format-codec.ts';
export type { OperatorStore } from './operator-store.ts';
export type { OutputWriter } from './output-writer.ts';
export { loadPipelineModule } from './pipeline-module.ts';
export { PipelineRunner, type RunOptions, type RunStatus } from './pipeline-runner.ts';
export { type CommittedPositions, QueryableStore, type StoreEntry } from './queryable-store.ts';
export type {
  ConsumerLag,
  OperatorMetrics,
  RunMetrics,
  SinkLatency,
  StepLatency,
  WatermarkLag,
} from './run-metrics.ts';
export { StreamRecord } from './stream-record.ts';
export { buildTaskGraph, type TaskEnvironment, type TaskGraph, type TaskInput } from './task-graph.ts';
export type { StoreRestoreProgress } from './task-set.ts';
export { type RangeStore, TimerStore } from './timer-store.ts';
export { type WindowEntry, WindowQuery } from './window-query.ts';
