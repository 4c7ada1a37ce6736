import type { MessagePort } from 'node:worker_threads';
import {
  type AppendResult,
  decodeBatches,
  type EncodableRecord,
  type FetchResult,
  type LogClient,
  type PartitionClient,
  packedTransferList,
  packRecords,
  type TopicConfig,
} from '../log/index.ts';
import { type Clock, EngineError, systemClock } from '../model/index.ts';
import {
  type FromWorker,
  fromWireError,
  type LogReply,
  type LogRequest,
  type WireError,
} from './worker-protocol.ts';

interface Pending {
  resolve(reply: LogReply): void;
  reject(error: EngineError): void;
}

class RemotePartition implements PartitionClient {
  readonly #log: RemoteLog;
  readonly topic: string;
  readonly partition: number;
  highWatermark: number;
  logStartOffset: number;

  constructor(
    log: RemoteLog,
    topic: string,
    partition: number,
    highWatermark: number,
    logStartOffset: number,
  ) {
    this.#log = log;
    this.topic = topic;
    this.partition = partition;
    this.highWatermark = highWatermark;
    this.logStartOffset = logStartOffset;
  }

  fetch(offset: number, maxBytes?: number, isolation?: 'committed' | 'uncommitted'): Promise<FetchResult> {
    return this.#log.fetch(this.topic, this.partition, offset, maxBytes, isolation);
  }

  waitForData(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#log.waitForData(this, offset, timeoutMs, signal);
  }
}

/**
 * A worker thread's LogClient: every fetch, append and wait is a request to the coordinator, which runs
 * it on the log and answers by id. Topic configs are the snapshot the worker started with (the tasks'
 * topics do not change while a pipeline runs); a partition's `highWatermark` is the last one any reply
 * carried, exact for partitions only this worker writes (its changelogs). Requests are answered in any
 * order; a failed request rejects with the EngineError the log raised.
 */
export class RemoteLog implements LogClient {
  readonly clock: Clock = systemClock;
  readonly #port: MessagePort;
  readonly #topics: Map<string, TopicConfig>;
  readonly #partitions = new Map<string, RemotePartition[]>();
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  constructor(
    port: MessagePort,
    topics: ReadonlyArray<[string, TopicConfig]>,
    partitions: ReadonlyArray<[string, number, number, number]>,
  ) {
    this.#port = port;
    this.#topics = new Map(topics);
    for (const [topic, config] of this.#topics)
      this.#partitions.set(
        topic,
        Array.from({ length: config.partitions }, (_, p) => new RemotePartition(this, topic, p, 0, 0)),
      );
    for (const [topic, p, highWatermark, logStartOffset] of partitions) {
      const partition = this.#partitions.get(topic)?.[p];
      if (partition === undefined) continue;
      partition.highWatermark = highWatermark;
      partition.logStartOffset = logStartOffset;
    }
  }

  /** Routes the coordinator's answer to its request. */
  settle(id: number, reply: LogReply | undefined, error: WireError | undefined): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (error !== undefined) pending.reject(fromWireError(error));
    else pending.resolve(reply!);
  }

  /** Rejects every request still waiting (the worker is going away). */
  failAll(error: EngineError): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  topicConfig(topic: string): TopicConfig {
    const config = this.#topics.get(topic);
    if (config === undefined)
      throw new EngineError('UNKNOWN_TOPIC', `topic '${topic}' does not exist`, { details: { topic } });
    return config;
  }

  partition(topic: string, partition: number): RemotePartition {
    const partitions = this.#partitions.get(topic);
    if (partitions === undefined)
      throw new EngineError('UNKNOWN_TOPIC', `topic '${topic}' does not exist`, { details: { topic } });
    const p = partitions[partition];
    if (p === undefined)
      throw new EngineError(
        'UNKNOWN_PARTITION',
        `topic '${topic}' has no partition ${partition} (it has ${partitions.length})`,
        { details: { topic, partition, partitions: partitions.length } },
      );
    return p;
  }

  #request(request: LogRequest, transfer: ArrayBuffer[] = []): { id: number; reply: Promise<LogReply> } {
    const id = this.#nextId++;
    const reply = new Promise<LogReply>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    const message: FromWorker = { type: 'log', id, request };
    this.#port.postMessage(message, transfer);
    return { id, reply };
  }

  async append(topic: string, partition: number, records: readonly EncodableRecord[]): Promise<AppendResult> {
    const target = this.partition(topic, partition);
    const packed = packRecords(records);
    const reply = await this.#request(
      { op: 'append', topic, partition, records: packed },
      packedTransferList(packed),
    ).reply;
    if (reply.op !== 'append') throw new EngineError('INTERNAL', `expected an append reply, got ${reply.op}`);
    target.highWatermark = Math.max(target.highWatermark, reply.highWatermark);
    return { baseOffset: reply.baseOffset, lastOffset: reply.lastOffset, duplicate: reply.duplicate };
  }

  async fetch(
    topic: string,
    partition: number,
    offset: number,
    maxBytes?: number,
    isolation?: 'committed' | 'uncommitted',
  ): Promise<FetchResult> {
    const target = this.partition(topic, partition);
    const reply = await this.#request({ op: 'fetch', topic, partition, offset, maxBytes, isolation }).reply;
    if (reply.op !== 'fetch') throw new EngineError('INTERNAL', `expected a fetch reply, got ${reply.op}`);
    if (isolation !== 'committed') target.highWatermark = reply.highWatermark;
    target.logStartOffset = reply.logStartOffset;
    return {
      records: decodeBatches(
        Buffer.from(reply.batches.buffer, reply.batches.byteOffset, reply.batches.byteLength),
        offset,
        reply.highWatermark,
      ),
      nextOffset: reply.nextOffset,
      highWatermark: reply.highWatermark,
      logStartOffset: reply.logStartOffset,
    };
  }

  async waitForData(
    target: RemotePartition,
    offset: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (target.highWatermark > offset) return true;
    if (signal?.aborted === true) return false;
    const { id, reply } = this.#request({
      op: 'wait',
      topic: target.topic,
      partition: target.partition,
      offset,
      timeoutMs,
    });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<false>((resolve) => {
      onAbort = () => {
        const cancel: FromWorker = { type: 'log-cancel', id };
        this.#port.postMessage(cancel);
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const answer = await Promise.race([reply, aborted]);
      if (answer === false) return false;
      if (answer.op !== 'wait') throw new EngineError('INTERNAL', `expected a wait reply, got ${answer.op}`);
      target.highWatermark = Math.max(target.highWatermark, answer.highWatermark);
      return answer.ready;
    } finally {
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }
}
