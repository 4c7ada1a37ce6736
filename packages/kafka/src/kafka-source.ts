import { Consumer } from '@platformatic/kafka';
import { EngineError, type SourceConnector, type SourceFeatures, type SourceReader } from 'rivulet/connector';
import { kafkaErrorId, toEngineError } from './kafka-errors.ts';
import { checkBootstrapServers, checkPositiveInteger, checkTopic, invalidOption } from './kafka-options.ts';
import { KafkaPartitionReader } from './kafka-partition-reader.ts';

const CONNECTOR = 'kafka';

export interface KafkaSourceOptions {
  /** "host:port" of one or more brokers. */
  bootstrapServers: string[];
  topic: string;
  /** Where a split opened without a position starts: the first retained record (default) or the end. */
  startFrom?: 'earliest' | 'latest';
  /** Most bytes one fetch may return (and so the reader's read-ahead): default 1 MiB. */
  maxBytes?: number;
  /** Longest a single fetch waits on the broker for records (poll's maxWaitMs caps it too): default 500. */
  maxFetchWaitMs?: number;
  /** How long a reader keeps retrying an unreachable broker inside `poll` before rejecting: default 60 s. */
  reconnectTimeoutMs?: number;
  /** Broker request timeout in ms: default 10 s. */
  requestTimeoutMs?: number;
  /** Client id sent to the broker (default 'rivulet'). */
  clientId?: string;
  /**
   * A consumer group to publish the engine's committed positions to (OffsetCommit at each reader
   * `commit`), for lag tools. The engine still resumes from its checkpoints, never from the group.
   * Must be a group no consumer joins (Kafka refuses commits from outside a live group's generation).
   */
  groupId?: string;
}

/** Resolved options shared by the source and its readers. */
export interface KafkaSourceConfig {
  readonly bootstrapServers: string[];
  readonly topic: string;
  readonly startFrom: 'earliest' | 'latest';
  readonly maxBytes: number;
  readonly maxFetchWaitMs: number;
  readonly reconnectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly clientId: string;
  readonly groupId: string | undefined;
}

const FEATURES: SourceFeatures = Object.freeze({
  ordered: true,
  persistent: true,
  positioned: true,
  replay: 'exactly-once',
});

/** A position is the offset of the last record returned, or -1 before the first offset. */
const POSITION = /^(-1|0|[1-9]\d{0,18})$/;

/**
 * Reads a Kafka topic, one split per partition ("0", "1", ...). Each reader fetches its partition
 * directly from the partition leader (no consumer group: the engine keeps positions in its checkpoint,
 * so a reopened reader resumes exactly after the checkpointed offset and records are never replayed
 * twice: replay 'exactly-once'). Kafka keeps records by retention, not by acknowledgement, so `commit`
 * releases nothing; with `groupId` it publishes the committed position to that consumer group for lag
 * tools (kafka-group-commit.ts), without ever joining it.
 */
export function kafkaSource(options: KafkaSourceOptions): SourceConnector {
  if (options === null || typeof options !== 'object')
    throw new EngineError('INVALID_ARGUMENT', 'kafkaSource: options must be an object', {
      details: { connector: CONNECTOR },
    });
  const startFrom = options.startFrom ?? 'earliest';
  if (startFrom !== 'earliest' && startFrom !== 'latest')
    throw invalidOption(CONNECTOR, 'startFrom', `must be 'earliest' or 'latest', got ${String(startFrom)}`);
  const config: KafkaSourceConfig = {
    bootstrapServers: checkBootstrapServers(CONNECTOR, options.bootstrapServers),
    topic: checkTopic(CONNECTOR, options.topic),
    startFrom,
    maxBytes: checkPositiveInteger(CONNECTOR, 'maxBytes', options.maxBytes, 1024 * 1024),
    maxFetchWaitMs: checkPositiveInteger(CONNECTOR, 'maxFetchWaitMs', options.maxFetchWaitMs, 500),
    reconnectTimeoutMs: checkPositiveInteger(
      CONNECTOR,
      'reconnectTimeoutMs',
      options.reconnectTimeoutMs,
      60_000,
    ),
    requestTimeoutMs: checkPositiveInteger(CONNECTOR, 'requestTimeoutMs', options.requestTimeoutMs, 10_000),
    clientId: options.clientId ?? 'rivulet',
    groupId: options.groupId,
  };
  if (typeof config.clientId !== 'string' || config.clientId.length === 0)
    throw invalidOption(CONNECTOR, 'clientId', 'must be a non-empty string');
  if (config.groupId !== undefined && (typeof config.groupId !== 'string' || config.groupId.length === 0))
    throw invalidOption(CONNECTOR, 'groupId', 'must be a non-empty string when set');

  return {
    kind: 'source-connector',
    connector: CONNECTOR,
    features: FEATURES,
    async splits() {
      const partitions = await partitionCount(config);
      return Array.from({ length: partitions }, (_, i) => String(i));
    },
    async open(split, position) {
      if (!/^(0|[1-9]\d{0,9})$/.test(split))
        throw new EngineError('INVALID_ARGUMENT', `kafka: split '${split}' is not a partition number`, {
          details: { connector: CONNECTOR, topic: config.topic, split },
        });
      if (position !== undefined && (typeof position !== 'string' || !POSITION.test(position)))
        throw new EngineError(
          'SOURCE_POSITION_INVALID',
          `kafka: position '${String(position)}' is not an offset (decimal text, -1 before the first record)`,
          { details: { connector: CONNECTOR, topic: config.topic, partition: Number(split), position } },
        );
      return openReader(config, Number(split), position === undefined ? undefined : BigInt(position));
    },
  };
}

/**
 * A consumer client used for metadata, ListOffsets, Fetch and (with `groupId`) OffsetCommit: it never
 * joins its group.
 */
export function createFetchClient(config: KafkaSourceConfig): Consumer {
  return new Consumer({
    clientId: config.clientId,
    // Required by the client; only OffsetCommit (with `groupId` set) is ever sent with it.
    groupId: config.groupId ?? `${config.clientId}-standalone`,
    bootstrapBrokers: config.bootstrapServers,
    timeout: config.requestTimeoutMs,
    retries: 0,
    maxBytes: config.maxBytes,
  });
}

async function partitionCount(config: KafkaSourceConfig): Promise<number> {
  const client = createFetchClient(config);
  try {
    const metadata = await client.metadata({ topics: [config.topic], autocreateTopics: false });
    const topic = metadata.topics.get(config.topic);
    if (!topic || topic.partitionsCount === 0)
      throw new EngineError('CONNECTOR_FAILED', `kafka: topic '${config.topic}' does not exist`, {
        details: { connector: CONNECTOR, topic: config.topic },
        retryable: false,
      });
    return topic.partitionsCount;
  } catch (error) {
    if (kafkaErrorId(error) === 'UNKNOWN_TOPIC_OR_PARTITION' || /Unknown topic/.test(String(error)))
      throw new EngineError('CONNECTOR_FAILED', `kafka: topic '${config.topic}' does not exist`, {
        cause: error,
        details: { connector: CONNECTOR, topic: config.topic },
        retryable: false,
      });
    throw toEngineError(CONNECTOR, `kafka: reading metadata of topic '${config.topic}'`, error, {
      topic: config.topic,
    });
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * Checks the partition exists and `position + 1` lies within [log start, high watermark], then hands
 * the client to a reader. A position outside that range is SOURCE_POSITION_INVALID (deleted by
 * retention, or never written: a different topic of the same name).
 */
async function openReader(
  config: KafkaSourceConfig,
  partition: number,
  position: bigint | undefined,
): Promise<SourceReader> {
  const client = createFetchClient(config);
  const details = { connector: CONNECTOR, topic: config.topic, partition };
  try {
    const metadata = await client.metadata({ topics: [config.topic], autocreateTopics: false });
    const topic = metadata.topics.get(config.topic);
    const partitions = topic?.partitionsCount ?? 0;
    if (!topic || partition >= partitions)
      throw new EngineError(
        'CONNECTOR_FAILED',
        `kafka: topic '${config.topic}' has no partition ${partition}`,
        {
          details,
          retryable: false,
        },
      );
    const earliest = await listOffset(client, config.topic, partition, -2n);
    const latest = await listOffset(client, config.topic, partition, -1n);
    let next: bigint;
    if (position === undefined) next = config.startFrom === 'earliest' ? earliest : latest;
    else {
      next = position + 1n;
      if (next < earliest || next > latest)
        throw new EngineError(
          'SOURCE_POSITION_INVALID',
          `kafka: cannot resume ${config.topic}/${partition} after offset ${position}: the partition holds offsets ${earliest}..${latest - 1n}`,
          {
            details: {
              ...details,
              position: String(position),
              earliest: String(earliest),
              latest: String(latest),
            },
          },
        );
    }
    const leader = topic.partitions[partition]!.leader;
    return new KafkaPartitionReader(
      client,
      config,
      partition,
      next,
      leader >= 0 ? { node: leader, topicId: topic.id } : undefined,
    );
  } catch (error) {
    await client.close().catch(() => undefined);
    throw toEngineError(CONNECTOR, `kafka: opening ${config.topic}/${partition}`, error, details);
  }
}

/** ListOffsets for one partition (-2: earliest, -1: latest); one partition per request on purpose. */
export async function listOffset(client: Consumer, topic: string, partition: number, timestamp: bigint) {
  const offsets = await client.listOffsets({
    topics: [topic],
    partitions: { [topic]: [partition] },
    timestamp,
  });
  const offset = offsets.get(topic)?.[partition];
  if (offset === undefined) throw new Error(`ListOffsets returned nothing for ${topic}/${partition}`);
  return offset;
}
