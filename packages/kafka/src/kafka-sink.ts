import { type MessageToProduce, ProduceAcks, Producer } from '@platformatic/kafka';
import {
  EngineError,
  partitionForKey,
  type SinkConnector,
  type SinkContext,
  type SinkRecord,
  type SinkWriter,
} from 'rivulet/connector';
import { toEngineError } from './kafka-errors.ts';
import { checkBootstrapServers, checkPositiveInteger, checkTopic, invalidOption } from './kafka-options.ts';

const CONNECTOR = 'kafka';
/** Kafka's default max.message.bytes (1 MiB + 12) less a record's framing: values over it are refused. */
const DEFAULT_MAX_VALUE_BYTES = 1_000_000;

export interface KafkaSinkOptions {
  /** "host:port" of one or more brokers. */
  bootstrapServers: string[];
  topic: string;
  /** Idempotent producer (dedups the client's own retries within one writer's life): default true. */
  idempotent?: boolean;
  /** -1 (all in-sync replicas, default) or 1 (leader only). */
  acks?: -1 | 1;
  /** Values longer than this are refused with INVALID_RECORD before anything is sent: default 1,000,000. */
  maxValueBytes?: number;
  /** Records sent per produce request while writing (commit sends the rest): default 1000. */
  batchRecords?: number;
  /** Broker request timeout in ms: default 10 s. */
  requestTimeoutMs?: number;
  clientId?: string;
}

interface KafkaSinkConfig {
  readonly bootstrapServers: string[];
  readonly topic: string;
  readonly idempotent: boolean;
  readonly acks: -1 | 1;
  readonly maxValueBytes: number;
  readonly batchRecords: number;
  readonly requestTimeoutMs: number;
  readonly clientId: string;
}

/**
 * Appends records to a Kafka topic. Partition: murmur2 of the key modulo the partition count (Kafka's
 * default partitioner, so keyed records land where Kafka clients expect them); records without a key go
 * to their outbox partition modulo the partition count, keeping outbox order. Each record carries the
 * header `rivulet-id` (SinkRecord.id) so consumers can drop replays. Guarantee: at-least-once: the
 * idempotent producer drops the client's own retries within a writer's life, but records written after
 * the last commit are written again by the engine's replay after a crash (a new producer id).
 */
export function kafkaSink(options: KafkaSinkOptions): SinkConnector {
  if (options === null || typeof options !== 'object')
    throw new EngineError('INVALID_ARGUMENT', 'kafkaSink: options must be an object', {
      details: { connector: CONNECTOR },
    });
  const acks = options.acks ?? -1;
  if (acks !== -1 && acks !== 1)
    throw invalidOption(CONNECTOR, 'acks', `must be -1 or 1, got ${String(acks)}`);
  const idempotent = options.idempotent ?? true;
  if (typeof idempotent !== 'boolean') throw invalidOption(CONNECTOR, 'idempotent', 'must be a boolean');
  if (idempotent && acks !== -1)
    throw invalidOption(CONNECTOR, 'acks', 'must be -1 for an idempotent producer');
  const config: KafkaSinkConfig = {
    bootstrapServers: checkBootstrapServers(CONNECTOR, options.bootstrapServers),
    topic: checkTopic(CONNECTOR, options.topic),
    idempotent,
    acks,
    maxValueBytes: checkPositiveInteger(
      CONNECTOR,
      'maxValueBytes',
      options.maxValueBytes,
      DEFAULT_MAX_VALUE_BYTES,
    ),
    batchRecords: checkPositiveInteger(CONNECTOR, 'batchRecords', options.batchRecords, 1000),
    requestTimeoutMs: checkPositiveInteger(CONNECTOR, 'requestTimeoutMs', options.requestTimeoutMs, 10_000),
    clientId: options.clientId ?? 'rivulet',
  };
  if (typeof config.clientId !== 'string' || config.clientId.length === 0)
    throw invalidOption(CONNECTOR, 'clientId', 'must be a non-empty string');
  return {
    kind: 'sink-connector',
    connector: CONNECTOR,
    guarantee: 'at-least-once',
    async open(context) {
      const producer = new Producer({
        clientId: config.clientId,
        bootstrapBrokers: config.bootstrapServers,
        timeout: config.requestTimeoutMs,
        retries: 3,
        retryDelay: 200,
        idempotent: config.idempotent,
        acks: config.acks === -1 ? ProduceAcks.ALL : ProduceAcks.LEADER,
      });
      try {
        const metadata = await producer.metadata({ topics: [config.topic], autocreateTopics: false });
        const partitions = metadata.topics.get(config.topic)?.partitionsCount ?? 0;
        if (partitions === 0)
          throw new EngineError('CONNECTOR_FAILED', `kafka: topic '${config.topic}' does not exist`, {
            details: { connector: CONNECTOR, topic: config.topic },
            retryable: false,
          });
        return new KafkaSinkWriter(producer, config, partitions, context);
      } catch (error) {
        await producer.close().catch(() => undefined);
        throw toEngineError(CONNECTOR, `kafka: opening a producer for '${config.topic}'`, error, {
          topic: config.topic,
          sink: context.name,
        });
      }
    },
  };
}

/**
 * Writes by buffering messages and sending them in produce requests of `batchRecords`; `commit` sends
 * the rest and resolves once the broker acknowledged everything (acks -1). Ordering: one produce request
 * at a time, in write order, so each partition keeps the order written. Failure: any send failure
 * rejects with a retryable EngineError; the engine reopens and replays from the last commit.
 */
class KafkaSinkWriter implements SinkWriter {
  readonly #producer: Producer;
  readonly #config: KafkaSinkConfig;
  readonly #partitions: number;
  readonly #context: SinkContext;
  readonly #idHeader = Buffer.from('rivulet-id');
  readonly #headerKeys = new Map<string, Buffer>();
  #pending: MessageToProduce[] = [];
  #closed = false;

  constructor(producer: Producer, config: KafkaSinkConfig, partitions: number, context: SinkContext) {
    this.#producer = producer;
    this.#config = config;
    this.#partitions = partitions;
    this.#context = context;
  }

  /** The engine records positions itself: Kafka has no atomic place for them next to the data here. */
  async committed(): Promise<ReadonlyMap<number, number> | undefined> {
    return undefined;
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    this.#checkOpen();
    // Refuse before anything of this call is buffered or sent.
    for (let i = 0; i < records.length; i++) {
      const value = records[i]!.value;
      if (value !== null && value.byteLength > this.#config.maxValueBytes)
        throw new EngineError(
          'INVALID_RECORD',
          `kafka: value of ${value.byteLength} bytes exceeds maxValueBytes ${this.#config.maxValueBytes}`,
          { details: { connector: CONNECTOR, topic: this.#config.topic, index: i, id: records[i]!.id } },
        );
    }
    for (const record of records) {
      this.#pending.push(this.#message(record));
      if (this.#pending.length >= this.#config.batchRecords) await this.#flush();
    }
  }

  async commit(_positions: ReadonlyMap<number, number>): Promise<void> {
    this.#checkOpen();
    await this.#flush();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    await this.#producer.close().catch(() => undefined);
  }

  #message(record: SinkRecord): MessageToProduce {
    const headers = new Map<Buffer, Buffer>();
    if (record.headers)
      for (const [key, value] of record.headers) headers.set(this.#headerKey(key), toBuffer(value));
    headers.set(this.#idHeader, Buffer.from(record.id));
    const key = record.key === null ? undefined : toBuffer(record.key);
    return {
      topic: this.#config.topic,
      key,
      value: record.value === null ? undefined : toBuffer(record.value),
      partition:
        key === undefined ? record.partition % this.#partitions : partitionForKey(key, this.#partitions),
      timestamp: BigInt(record.timestamp),
      headers,
    };
  }

  #headerKey(key: string): Buffer {
    let buffer = this.#headerKeys.get(key);
    if (buffer === undefined) {
      buffer = Buffer.from(key);
      if (this.#headerKeys.size < 1024) this.#headerKeys.set(key, buffer);
    }
    return buffer;
  }

  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const messages = this.#pending;
    this.#pending = [];
    try {
      await this.#producer.send({ messages });
    } catch (error) {
      throw toEngineError(
        CONNECTOR,
        `kafka: producing ${messages.length} records to '${this.#config.topic}'`,
        error,
        {
          topic: this.#config.topic,
          sink: this.#context.name,
        },
      );
    }
  }

  #checkOpen(): void {
    if (this.#closed)
      throw new EngineError('CONNECTOR_FAILED', 'kafka: the writer is closed', {
        details: { connector: CONNECTOR, topic: this.#config.topic },
      });
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
