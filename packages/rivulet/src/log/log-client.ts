import type { Clock } from '../model/index.ts';
import type { AppendResult, FetchResult } from './fetch-result.ts';
import type { EncodableRecord } from './record-batch.ts';
import type { TopicConfig } from './topic-config.ts';

/**
 * The part of a partition a task needs. The embedded `Partition` is one; a worker thread's proxy is
 * another, whose `highWatermark` and `logStartOffset` are the last values it heard from the log (exact
 * for a partition only that worker writes, possibly behind for the others).
 */
export interface PartitionClient {
  readonly highWatermark: number;
  readonly logStartOffset: number;
  fetch(offset: number, maxBytes?: number, isolation?: 'committed' | 'uncommitted'): Promise<FetchResult>;
  /** Resolves true once data past `offset` is readable; false after `timeoutMs` or an abort. */
  waitForData(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
}

/**
 * The broker-shaped surface the runtime's tasks and the state stores use to read and write topics: the
 * embedded `Log` implements it, and so does the proxy a worker thread uses to reach the log owned by the
 * main thread. Topic administration (create, delete, truncate, sync) is not part of it: only the
 * pipeline's coordinator does that, on the log itself.
 */
export interface LogClient {
  readonly clock: Clock;
  topicConfig(topic: string): TopicConfig;
  /** Throws UNKNOWN_TOPIC / UNKNOWN_PARTITION. */
  partition(topic: string, partition: number): PartitionClient;
  append(topic: string, partition: number, records: readonly EncodableRecord[]): Promise<AppendResult>;
  fetch(
    topic: string,
    partition: number,
    offset: number,
    maxBytes?: number,
    isolation?: 'committed' | 'uncommitted',
  ): Promise<FetchResult>;
}
