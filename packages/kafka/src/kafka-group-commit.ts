import type { Consumer } from '@platformatic/kafka';
import { EngineError } from 'rivulet/connector';
import { kafkaErrorId, toEngineError } from './kafka-errors.ts';

const CONNECTOR = 'kafka';

/** Refusals that mean the group is in use by members (or not ours): retrying the same commit cannot help. */
const GROUP_REFUSALS = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
  'GROUP_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_GROUP_ID',
]);

/**
 * Publishes a reader's committed position to a Kafka consumer group with OffsetCommit, so lag tools
 * (kafka-consumer-groups, Burrow, exporters) see how far the engine has durably read. Informational
 * only: the engine resumes from its own checkpoint, never from these offsets.
 *
 * Commits are made outside any group generation (generation -1, empty member id: Kafka's "standalone"
 * commit), which Kafka accepts only while the group has no active members; a group that consumers have
 * joined refuses them (CONNECTOR_FAILED, not retryable): give the source a group id of its own.
 * Ordering: offsets only grow; a position at or below the last committed one sends nothing.
 * Blocking: one OffsetCommit round trip to the group coordinator per call that moves the offset.
 * Ownership: uses the reader's client (whose `groupId` is the group), never joins the group.
 */
export class KafkaGroupCommitter {
  readonly #client: Consumer;
  readonly #topic: string;
  readonly #partition: number;
  /** Kafka's committed offset: the next offset to read (position + 1). */
  #committed = -1n;

  constructor(client: Consumer, topic: string, partition: number) {
    this.#client = client;
    this.#topic = topic;
    this.#partition = partition;
    client.generationId = -1;
    client.memberId = '';
  }

  /** Commits `position + 1` (`position` is the offset of the last record the engine holds durably). */
  async commit(position: string): Promise<void> {
    const offset = BigInt(position) + 1n;
    if (offset <= this.#committed) return;
    const details = {
      topic: this.#topic,
      partition: this.#partition,
      groupId: this.#client.groupId,
      offset: String(offset),
    };
    try {
      await this.#client.commit({
        offsets: [{ topic: this.#topic, partition: this.#partition, offset, leaderEpoch: -1 }],
      });
    } catch (error) {
      const kafkaError = kafkaErrorId(error);
      if (kafkaError && GROUP_REFUSALS.has(kafkaError))
        throw new EngineError(
          'CONNECTOR_FAILED',
          `kafka: group '${this.#client.groupId}' refused the offset commit of ${this.#topic}/${this.#partition} (${kafkaError}): the group has active members or is not ours; give the source a groupId no consumer joins`,
          { cause: error, details: { connector: CONNECTOR, ...details, kafkaError }, retryable: false },
        );
      throw toEngineError(
        CONNECTOR,
        `kafka: committing offset ${offset} of ${this.#topic}/${this.#partition} to group '${this.#client.groupId}'`,
        error,
        details,
      );
    }
    this.#committed = offset;
  }
}
