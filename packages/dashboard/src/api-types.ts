/**
 * The server's JSON as the dashboard reads it (the HTTP API contract of issue 10). Everything here comes
 * from the network: record keys, values and headers are user data and are only ever rendered as text.
 */

export interface ErrorCounts {
  skipped: number;
  deadLettered: number;
}

/** One pipeline run's status (RunStatus as JSON). `name` per the contract; `pipeline` as RunStatus calls it. */
export interface PipelineStatus {
  name?: string;
  pipeline?: string;
  state: string;
  recordsIn: number;
  lag: number;
  checkpoints: number;
  workers: number;
  errors: Record<string, ErrorCounts>;
  late: Record<string, number>;
  storeEntries: Record<string, number>;
  watermarks: Record<string, number | null>;
  error?: { code?: string; message?: string };
}

export interface GraphNode {
  id: string | number;
  kind: string;
  label: string;
  name?: string;
  /** Sources and sinks: the topic they read or write. */
  topic?: string;
}

export interface PipelineGraph {
  nodes: GraphNode[];
  edges: { from: string | number; to: string | number }[];
  subTopologies: { id: string | number; nodeIds: (string | number)[]; inputs: string[]; stores: string[] }[];
}

export interface PipelineDetail extends PipelineStatus {
  explain: string;
  graph: PipelineGraph;
}

export interface OperatorCounters {
  pipeline: string;
  /** The operator's label (`filter#2`, `aggregate 'counts'`, `repartition <topic>`). */
  operator: string;
  /** Its plan node when the server sends it (null: an engine-added repartition writer). */
  nodeId?: number | string | null;
  task: string | number;
  recordsIn: number;
  recordsOut: number;
}

export interface TopicSizes {
  name: string;
  partitions: { partition: number; highWatermark: number; sizeBytes: number }[];
}

/** Latency over the interval since the previous snapshot (ms): bucket upper bounds, null without data. */
export interface IntervalLatency {
  count: number;
  p50: number | null;
  p99: number | null;
}

export interface PipelineLatency {
  pipeline: string;
  /** Processing time of the tasks' steps. */
  step: IntervalLatency;
  /** End-to-end latency per sink operator. */
  sinks: ({ operator: string } & IntervalLatency)[];
}

/** What WS /api/live pushes every second. */
export interface LiveSnapshot {
  type: 'snapshot';
  time: number;
  pipelines: PipelineStatus[];
  operators: OperatorCounters[];
  topics: TopicSizes[];
  /** Absent from servers before the latency percentiles. */
  latency?: PipelineLatency[];
}

export interface TopicSummary {
  name: string;
  partitions: number;
  internal: boolean;
}

export interface PartitionInfo {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  sizeBytes: number;
}

export interface TopicDetail {
  name: string;
  partitions: PartitionInfo[];
  config: unknown;
}

/** Record headers as the server may send them: an object, [key, value] pairs or {key, value} entries. */
export type WireHeaders =
  | Record<string, string>
  | [string, string][]
  | { key: string; value: string }[]
  | null
  | undefined;

export interface WireRecord {
  partition?: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  json?: unknown;
  headers?: WireHeaders;
}

export interface FetchedRecords {
  records: WireRecord[];
  nextOffset: number;
  highWatermark: number;
}

export interface DlqTopic {
  topic: string;
  pipeline: string;
  records: number;
}

export interface LateTopic extends DlqTopic {
  operator: string;
}

export interface AlertTopic {
  topic: string;
  pipeline: string;
  operator: string;
}

/** The name of a pipeline status, whichever field carries it. */
export function pipelineName(status: PipelineStatus): string {
  return status.name ?? status.pipeline ?? '';
}
