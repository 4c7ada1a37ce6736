import type { HistogramSnapshot } from '../model/index.ts';
import type { Boundary } from './error-policy.ts';
import { END_OF_INPUT_WATERMARK } from './generator-input.ts';
import type { RunStatus } from './pipeline-runner.ts';
import type { TaskCut } from './task-set.ts';

/** Records in and out of one operator in one task (`<sub-topology>:<partition>`) since the run started. */
export interface OperatorMetrics {
  /** The operator's label (`filter#2`, `aggregate 'counts'`, `repartition <topic>` for a repartition writer). */
  operator: string;
  /** Its plan node; null for the writer of a repartition topic, which the engine adds. */
  nodeId: number | null;
  task: string;
  recordsIn: number;
  /** Passed on to its children; for a sink, records written. */
  recordsOut: number;
}

/** Processing time of one task's steps (ms): one observation per step that delivered input. */
export interface StepLatency {
  task: string;
  histogram: HistogramSnapshot;
}

/** End-to-end latency at one sink in one task: processing time at the write minus record timestamp (ms). */
export interface SinkLatency {
  operator: string;
  task: string;
  histogram: HistogramSnapshot;
}

/** How far one input partition's readers are behind its end, as of the last checkpoint. */
export interface ConsumerLag {
  topic: string;
  partition: number;
  /** The next offset the pipeline reads, as of the last checkpoint. */
  position: number;
  /** The partition's high watermark now (a generator source: its size). */
  end: number;
  /** end - position, at least 0. */
  lag: number;
}

/** How far an event-time operator's watermark is behind processing time. */
export interface WatermarkLag {
  operator: string;
  /** The watermark as of the last checkpoint (the smallest over the operator's tasks); null: none yet. */
  watermark: number | null;
  /** Processing time minus the watermark (ms); null without a watermark or past the end of the input. */
  lagMs: number | null;
}

/**
 * A snapshot of one pipeline run's counters (PipelineRunner.metrics()). Task counters are as of the last
 * checkpoint (workers report them in their cuts); counts are cumulative since the run started, so they
 * only grow within a run.
 */
export interface RunMetrics {
  pipeline: string;
  state: RunStatus['state'];
  /** Processing time of the snapshot (ms since the epoch). */
  time: number;
  recordsIn: number;
  checkpoints: number;
  operators: OperatorMetrics[];
  stepLatency: StepLatency[];
  sinkLatency: SinkLatency[];
  /**
   * Wall time of each checkpoint, from asking the executors for their cuts to the checkpoint record
   * appended (ms); the first one, at the start, is the record alone. Its count equals `checkpoints`.
   */
  checkpointDuration: HistogramSnapshot;
  consumerLag: ConsumerLag[];
  watermarkLag: WatermarkLag[];
  /** Records that came after their windows closed, per operator. */
  late: Array<{ operator: string; records: number }>;
  /** Records the error policies skipped or dead-lettered, per boundary. */
  errors: Array<{ boundary: Boundary; skipped: number; deadLettered: number }>;
  /** Entries per store (approximate for TTL stores), summed over its partitions. */
  storeEntries: Array<{ store: string; entries: number }>;
  /** Source connectors: records read in this run. Sink connectors: records delivered, and the backlog. */
  sources: Array<{ source: string; recordsIn: number }>;
  sinks: Array<{ sink: string; delivered: number; lag: number }>;
}

/** What the runner knows beyond the cuts. */
export interface RunMetricsInput {
  /** The run's status, as of the same checkpoint as `cuts`. */
  status: RunStatus;
  time: number;
  cuts: readonly TaskCut[];
  checkpointDuration: HistogramSnapshot;
  consumerLag: ConsumerLag[];
}

/** Assembles a RunMetrics from the last checkpoint's cuts (one per executor) and the run's status. */
export function runMetrics({
  status,
  time,
  cuts,
  checkpointDuration,
  consumerLag,
}: RunMetricsInput): RunMetrics {
  return {
    pipeline: status.pipeline,
    state: status.state,
    time,
    recordsIn: status.recordsIn,
    checkpoints: status.checkpoints,
    operators: cuts.flatMap((c) => c.operators),
    stepLatency: cuts.flatMap((c) => c.stepLatency),
    sinkLatency: cuts.flatMap((c) => c.sinkLatency),
    checkpointDuration,
    consumerLag,
    watermarkLag: Object.entries(status.watermarks).map(([operator, watermark]) => ({
      operator,
      watermark,
      lagMs: watermark === null || watermark >= END_OF_INPUT_WATERMARK ? null : time - watermark,
    })),
    late: Object.entries(status.late).map(([operator, records]) => ({ operator, records })),
    errors: Object.entries(status.errors).map(([boundary, c]) => ({ boundary: boundary as Boundary, ...c })),
    storeEntries: Object.entries(status.storeEntries).map(([store, entries]) => ({ store, entries })),
    sources: Object.entries(status.connectors?.sources ?? {}).map(([source, s]) => ({ source, ...s })),
    sinks: Object.entries(status.connectors?.sinks ?? {}).map(([sink, s]) => ({ sink, ...s })),
  };
}
