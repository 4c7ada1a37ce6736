export type {
  ConnectorRecord,
  SinkConnector,
  SinkGuarantee,
  SinkRecord,
  SinkWriter,
  SourceBatch,
  SourceConnector,
  SourceFeatures,
  SourceReader,
} from './connector/index.ts';
export * from './dsl/index.ts';
export { createEngine, Engine, type EngineOptions } from './engine.ts';
export * from './log/index.ts';
export * from './model/index.ts';
export { explainPlan, type Plan, type PlanIssue, validatePlan } from './plan/index.ts';
export type {
  Boundary,
  ConsumerLag,
  ErrorPolicies,
  ErrorPolicy,
  OperatorMetrics,
  QueryableStore,
  RunMetrics,
  RunOptions,
  RunStatus,
  SinkLatency,
  StepLatency,
  StoreEntry,
  StoreRestoreProgress,
  WatermarkLag,
  WindowEntry,
  WindowQuery,
} from './runtime/index.ts';
export { type RivuletServer, type ServerLimits, type ServerOptions, startServer } from './server/index.ts';
