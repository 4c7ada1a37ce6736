import type { Channel, ConsumeMessage } from 'amqplib';
import {
  type ConnectorRecord,
  EngineError,
  type SourceBatch,
  type SourceConnector,
  type SourceFeatures,
  type SourceReader,
} from 'rivulet/connector';
import { AmqpConsumer } from './amqp-consumer.ts';
import { amqpError } from './connect-amqp.ts';
import { messageToRecord } from './message-record.ts';
import { validateInteger, validateKeys, validateName, validateUrl } from './validate-option.ts';

const CONNECTOR = 'rabbitmq-queue';
/** AMQP's prefetch count is a 16-bit number. */
const MAX_PREFETCH = 65_535;

export interface RabbitQueueSourceOptions {
  /** amqp://user:pass@host:port/vhost (query parameters such as `heartbeat` pass to amqplib). */
  readonly url: string;
  readonly queue: string;
  /** Deliveries the broker sends ahead of `poll` (the bounded read-ahead). Default 500. */
  readonly prefetch?: number;
  /**
   * Declare the queue (idempotent; fails with CONNECTOR_FAILED if it exists with other arguments).
   * Without it the queue must exist. The dead-letter exchange is not declared here.
   */
  readonly declare?: {
    readonly durable?: boolean;
    readonly deadLetterExchange?: string;
    readonly deadLetterRoutingKey?: string;
  };
}

export const rabbitQueueSourceFeatures: SourceFeatures = Object.freeze({
  ordered: true,
  persistent: true,
  positioned: false,
  replay: 'at-least-once',
});

/**
 * A RabbitMQ queue read with manual acknowledgements, one split (the queue). A record is acknowledged only
 * when the engine commits a position at or after it, with one multiple-ack (`ack(tag, allUpTo)`), so a
 * crash leaves it unacknowledged and the broker delivers it again (at-least-once; the redelivered flag is
 * in `rivulet.source.redelivered`). Order is the queue's order while this reader is its only consumer.
 *
 * Position: the number of deliveries this reader and its predecessors handed over, as decimal text. It
 * only orders commits; where to resume is the broker's business (unacknowledged deliveries come again),
 * so reopening at any valid position reads the queue's head.
 */
export function rabbitQueueSource(options: RabbitQueueSourceOptions): SourceConnector {
  validateKeys(options, ['url', 'queue', 'prefetch', 'declare'], CONNECTOR);
  const url = validateUrl(options.url, CONNECTOR);
  const queue = validateName(options.queue, 'queue', CONNECTOR);
  const prefetch = validateInteger(options.prefetch, 'prefetch', CONNECTOR, 1, MAX_PREFETCH, 500);
  const declare = validateDeclare(options.declare);
  return {
    kind: 'source-connector',
    connector: CONNECTOR,
    features: rabbitQueueSourceFeatures,
    async splits() {
      return [queue];
    },
    async open(split, position) {
      if (split !== queue)
        throw new EngineError(
          'INVALID_ARGUMENT',
          `${CONNECTOR}: unknown split '${split}' (the split is the queue)`,
          {
            details: { connector: CONNECTOR, queue, split },
          },
        );
      const reader = new RabbitQueueReader(url, queue, prefetch, declare, parseCount(position, queue));
      await reader.start();
      return reader;
    },
  };
}

type Declare = RabbitQueueSourceOptions['declare'];

function validateDeclare(declare: unknown): Declare {
  if (declare === undefined) return undefined;
  validateKeys(declare, ['durable', 'deadLetterExchange', 'deadLetterRoutingKey'], `${CONNECTOR} declare`);
  const d = declare as NonNullable<Declare>;
  if (d.durable !== undefined && typeof d.durable !== 'boolean')
    throw new EngineError('INVALID_ARGUMENT', `${CONNECTOR}: option 'declare.durable' must be a boolean`, {
      details: { connector: CONNECTOR, option: 'declare.durable' },
    });
  for (const option of ['deadLetterExchange', 'deadLetterRoutingKey'] as const)
    if (d[option] !== undefined && typeof d[option] !== 'string')
      throw new EngineError('INVALID_ARGUMENT', `${CONNECTOR}: option 'declare.${option}' must be a string`, {
        details: { connector: CONNECTOR, option: `declare.${option}` },
      });
  return d;
}

function parseCount(position: string | undefined, queue: string): number {
  if (position === undefined || position === '') return 0;
  const count = /^(0|[1-9]\d{0,15})$/.test(position) ? Number(position) : Number.NaN;
  if (!Number.isSafeInteger(count))
    throw new EngineError(
      'SOURCE_POSITION_INVALID',
      `${CONNECTOR}: position '${position}' is not a delivery count (decimal digits)`,
      { details: { connector: CONNECTOR, queue, position } },
    );
  return count;
}

/** A delivery count handed over, and the delivery tag of its last delivery on channel `generation`. */
interface Handed {
  readonly count: number;
  readonly deliveryTag: number;
  readonly generation: number;
}

/**
 * Backpressure: the channel's prefetch (global, i.e. per channel) is kept at `outstanding + prefetch`,
 * where `outstanding` are deliveries handed over but not yet acknowledged, so the broker keeps at most
 * `prefetch` deliveries buffered here however long the engine takes to commit. (AMQP caps the prefetch at
 * 65 535: past that many uncommitted deliveries the reader waits for a commit.)
 */
class RabbitQueueReader implements SourceReader {
  readonly #queue: string;
  readonly #prefetch: number;
  readonly #consumer: AmqpConsumer;
  readonly #queueBytes: Uint8Array;
  #count: number;
  /** Handed batches not yet acknowledged, oldest first. */
  #handed: Handed[] = [];
  /** Deliveries handed over on the current channel and not acknowledged. */
  #outstanding = 0;
  #outstandingGeneration = 0;
  #limit = 0;

  constructor(url: string, queue: string, prefetch: number, declare: Declare, count: number) {
    this.#queue = queue;
    this.#prefetch = prefetch;
    this.#count = count;
    this.#queueBytes = Buffer.from(queue, 'utf8');
    this.#consumer = new AmqpConsumer({
      url,
      connector: CONNECTOR,
      queue,
      setup: (channel, deliver) => this.#setup(channel, deliver, declare),
    });
  }

  start(): Promise<void> {
    return this.#consumer.start();
  }

  async #setup(
    channel: Channel,
    deliver: (message: ConsumeMessage | null) => void,
    declare: Declare,
  ): Promise<void> {
    const queue = this.#queue;
    try {
      if (declare === undefined) await channel.checkQueue(queue);
      else
        await channel.assertQueue(queue, {
          durable: declare.durable ?? true,
          ...(declare.deadLetterExchange === undefined
            ? {}
            : { deadLetterExchange: declare.deadLetterExchange }),
          ...(declare.deadLetterRoutingKey === undefined
            ? {}
            : { deadLetterRoutingKey: declare.deadLetterRoutingKey }),
        });
    } catch (error) {
      throw amqpError(
        CONNECTOR,
        `queue '${queue}' ${declare ? 'cannot be declared' : 'is not there'}`,
        error,
        {
          queue,
        },
      );
    }
    // A new channel holds no unacknowledged deliveries: what the old one held comes again.
    this.#outstanding = 0;
    this.#limit = this.#prefetch;
    await channel.prefetch(this.#prefetch, true);
    await channel.consume(queue, deliver, { noAck: false });
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch> {
    const messages = await this.#consumer.take(maxRecords, maxWaitMs, signal);
    if (messages.length === 0) return { records: [], position: String(this.#count) };
    const generation = this.#consumer.generation;
    const now = Date.now();
    const records: ConnectorRecord[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const headers = new Map<string, Uint8Array>();
      headers.set('rivulet.source.queue', this.#queueBytes);
      headers.set('rivulet.source.delivery-tag', Buffer.from(String(message.fields.deliveryTag)));
      headers.set('rivulet.source.redelivered', Buffer.from(message.fields.redelivered ? 'true' : 'false'));
      if (typeof message.properties.messageId === 'string')
        headers.set('rivulet.source.message-id', Buffer.from(message.properties.messageId, 'utf8'));
      records[i] = messageToRecord(message, now, headers);
    }
    this.#count += messages.length;
    this.#handed.push({
      count: this.#count,
      deliveryTag: messages[messages.length - 1]!.fields.deliveryTag,
      generation,
    });
    if (this.#outstandingGeneration !== generation) {
      this.#outstandingGeneration = generation;
      this.#outstanding = 0;
    }
    this.#outstanding += messages.length;
    this.#adjustPrefetch();
    return { records, position: String(this.#count) };
  }

  async commit(position: string): Promise<void> {
    const count = parseCount(position, this.#queue);
    if (count > this.#count)
      throw new EngineError(
        'SOURCE_POSITION_INVALID',
        `${CONNECTOR}: position ${position} was never returned`,
        {
          details: { connector: CONNECTOR, queue: this.#queue, position, returned: this.#count },
        },
      );
    let last: Handed | undefined;
    let drop = 0;
    while (drop < this.#handed.length && this.#handed[drop]!.count <= count) last = this.#handed[drop++];
    if (last === undefined) return;
    this.#handed.splice(0, drop);
    // Deliveries of an older channel cannot be acknowledged: the broker has already requeued them.
    if (!this.#consumer.ack(last.deliveryTag, last.generation)) return;
    if (last.generation === this.#outstandingGeneration)
      this.#outstanding = Math.min(this.#outstanding, this.#count - last.count);
    // AMQP does not answer acks, and commit does not wait for a round trip (it would stall polling):
    // `close` closes the channel first, which the broker processes after these acks. An ack lost to a
    // crash right now only means a redelivery (at-least-once). The limit drops back so that at most
    // `prefetch` deliveries wait here.
    const wanted = this.#wantedPrefetch();
    if (wanted !== this.#limit) {
      this.#limit = wanted;
      void this.#consumer.qos(wanted, true);
    }
  }

  #wantedPrefetch(): number {
    return Math.min(this.#outstanding + this.#prefetch, MAX_PREFETCH);
  }

  /**
   * Raises the broker's limit once fewer than half of `prefetch` deliveries may still come (no wait for
   * the reply): at most `prefetch` deliveries wait here, with one qos round trip per `prefetch / 2`
   * handed over rather than one per poll.
   */
  #adjustPrefetch(): void {
    if (this.#limit - this.#outstanding >= this.#prefetch / 2 || this.#limit === MAX_PREFETCH) return;
    this.#limit = this.#wantedPrefetch();
    void this.#consumer.qos(this.#limit, true);
  }

  close(): Promise<void> {
    return this.#consumer.close();
  }
}
