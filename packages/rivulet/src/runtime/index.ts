export { codecFor } from './format-codec.ts';
export type { OperatorStore } from './operator-store.ts';
export type { OutputWriter } from './output-writer.ts';
export { StreamRecord } from './stream-record.ts';
export { buildTaskGraph, type TaskEnvironment, type TaskInput } from './task-graph.ts';
