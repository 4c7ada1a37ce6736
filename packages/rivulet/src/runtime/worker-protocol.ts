import type { PackedRecords, TopicConfig } from '../log/index.ts';
import { EngineError, type ErrorCode, errorCodes } from '../model/index.ts';
import type { ErrorPolicies } from './error-policy.ts';
import type { StoreRestoreProgress, TaskAssignment, TaskCut, TaskStart } from './task-set.ts';

/**
 * The messages between a pipeline's coordinator (main thread, owner of the log) and one task worker.
 * The worker asks for log operations (`log`), the coordinator answers each by id; the coordinator asks
 * for checkpoint cuts and stops, the worker answers with its cut. Records cross as PackedRecords with
 * their buffers transferred. Errors cross as WireErrors and are rebuilt as EngineErrors with their code.
 */
export interface WorkerData {
  /** URL of task-worker.ts/js and, when a .ts module must load, of tsx's register API. */
  entry: string;
  loader: string | undefined;
  /** Where the worker finds the pipeline: a module path or URL and the export holding it. */
  module: string;
  exportName: string;
  /** planToJson of the coordinator's plan: the worker's must match. */
  fingerprint: string;
  assignments: TaskAssignment[];
  start: TaskStart;
  /** Configs of every topic the tasks read or write. */
  topics: Array<[string, TopicConfig]>;
  /** [topic, partition, highWatermark, logStartOffset] for the partitions the tasks use. */
  partitions: Array<[string, number, number, number]>;
  fetchBytes: number;
  stateDir: string | undefined;
  errors: ErrorPolicies;
  /** Per repartition topic, how many tasks write it. */
  upstreamTasks: Array<[string, number]>;
  /** groupByKey nodes the coordinator repartitions (automatic co-partitioning): the same topology. */
  repartitionGroupByKey: number[];
  idleWaitMs: number;
  /** Whether the coordinator wants `restore-progress` messages while the worker restores its stores. */
  restoreProgress: boolean;
}

export type LogRequest =
  | {
      op: 'fetch';
      topic: string;
      partition: number;
      offset: number;
      maxBytes: number | undefined;
      isolation: 'committed' | 'uncommitted' | undefined;
    }
  | { op: 'append'; topic: string; partition: number; records: PackedRecords }
  | { op: 'wait'; topic: string; partition: number; offset: number; timeoutMs: number };

export type LogReply =
  | {
      op: 'fetch';
      /** Whole checked batches, decoded by the worker (Partition.fetchBatches). */
      batches: Uint8Array;
      nextOffset: number;
      highWatermark: number;
      logStartOffset: number;
    }
  | { op: 'append'; baseOffset: number; lastOffset: number; duplicate: boolean; highWatermark: number }
  | { op: 'wait'; ready: boolean; highWatermark: number };

export type ToWorker =
  | { type: 'cut' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'log-reply'; id: number; reply: LogReply }
  | { type: 'log-error'; id: number; error: WireError };

export type FromWorker =
  | { type: 'ready' }
  /** Throttled: at most one per store partition per RESTORE_PROGRESS_INTERVAL_MS, plus each final one. */
  | { type: 'restore-progress'; progress: StoreRestoreProgress }
  | { type: 'cut'; cut: TaskCut }
  | { type: 'stopped'; cut: TaskCut }
  | { type: 'failed'; error: WireError }
  | { type: 'log'; id: number; request: LogRequest }
  | { type: 'log-cancel'; id: number };

/** The least time between two `restore-progress` messages of one store partition (but the last). */
export const RESTORE_PROGRESS_INTERVAL_MS = 100;

export interface WireError {
  code: string;
  message: string;
  details: Record<string, unknown>;
  stack: string | undefined;
}

/** An error as plain data; details that do not survive JSON are dropped. */
export function toWireError(error: unknown): WireError {
  const e = error instanceof Error ? error : new Error(String(error));
  let details: Record<string, unknown> = {};
  if (error instanceof EngineError) {
    try {
      details = JSON.parse(JSON.stringify(error.details)) as Record<string, unknown>;
    } catch {
      details = {};
    }
  }
  return {
    code: error instanceof EngineError ? error.code : 'INTERNAL',
    message: e.message,
    details,
    stack: e.stack,
  };
}

/** The EngineError a WireError describes (an unknown code becomes INTERNAL). */
export function fromWireError(wire: WireError, context?: string): EngineError {
  const code = (Object.hasOwn(errorCodes, wire.code) ? wire.code : 'INTERNAL') as ErrorCode;
  const error = new EngineError(code, context === undefined ? wire.message : `${context}: ${wire.message}`, {
    details: wire.details,
  });
  if (wire.stack !== undefined) error.stack = `${error.stack}\n    in a worker thread: ${wire.stack}`;
  return error;
}
