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

const CONNECTOR = 'rabbitmq-stream';
const OFFSET_HEADER = 'x-stream-offset';

export interface RabbitStreamSourceOptions {
  /** amqp://user:pass@host:port/vhost */
  readonly url: string;
  /** A stream queue (`x-queue-type: stream`, RabbitMQ >= 3.9); it must exist. */
  readonly queue: string;
  /** Deliveries the broker sends ahead of `poll` (the bounded read-ahead). Default 500. */
  readonly prefetch?: number;
}

export const rabbitStreamSourceFeatures: SourceFeatures = Object.freeze({
  ordered: true,
  persistent: true,
  positioned: true,
  replay: 'exactly-once',
});

/**
 * A RabbitMQ stream queue read over AMQP 0-9-1, one split (the stream). Position: the stream offset of the
 * last record handed over (`x-stream-offset`), decimal text; '' before the first one. A reader opened at a
 * position attaches at offset position + 1, one opened without one at the stream's first offset, so a
 * replay is exact. Reading never changes the stream.
 *
 * Acknowledgements on a stream only return flow credit (nothing is deleted), so deliveries are
 * acknowledged when `poll` hands them over, not at `commit`: the read-ahead stays `prefetch` deliveries
 * however long the engine takes to commit, and `commit` only checks its position.
 *
 * A position the stream no longer holds (truncated by retention) makes `poll` reject with
 * SOURCE_POSITION_INVALID instead of skipping records silently.
 */
export function rabbitStreamSource(options: RabbitStreamSourceOptions): SourceConnector {
  validateKeys(options, ['url', 'queue', 'prefetch'], CONNECTOR);
  const url = validateUrl(options.url, CONNECTOR);
  const queue = validateName(options.queue, 'queue', CONNECTOR);
  const prefetch = validateInteger(options.prefetch, 'prefetch', CONNECTOR, 1, 65_535, 500);
  return {
    kind: 'source-connector',
    connector: CONNECTOR,
    features: rabbitStreamSourceFeatures,
    async splits() {
      return [queue];
    },
    async open(split, position) {
      if (split !== queue)
        throw new EngineError(
          'INVALID_ARGUMENT',
          `${CONNECTOR}: unknown split '${split}' (the split is the stream)`,
          {
            details: { connector: CONNECTOR, queue, split },
          },
        );
      const reader = new RabbitStreamReader(url, queue, prefetch, parseOffset(position, queue));
      await reader.start();
      return reader;
    },
  };
}

/** The offset in a position; -1 for '' or undefined (nothing read yet). */
function parseOffset(position: string | undefined, queue: string): number {
  if (position === undefined || position === '') return -1;
  const offset = /^(0|[1-9]\d{0,15})$/.test(position) ? Number(position) : Number.NaN;
  if (!Number.isSafeInteger(offset))
    throw new EngineError(
      'SOURCE_POSITION_INVALID',
      `${CONNECTOR}: position '${position}' is not a stream offset (decimal digits)`,
      { details: { connector: CONNECTOR, queue, position } },
    );
  return offset;
}

class RabbitStreamReader implements SourceReader {
  readonly #queue: string;
  readonly #prefetch: number;
  readonly #consumer: AmqpConsumer;
  readonly #queueBytes: Uint8Array;
  /** The offset of the last record handed over; -1 before the first. */
  #last: number;
  /** Whether the next delivery must be exactly `#last + 1` (false when attached at 'first'). */
  #checkGap: boolean;

  constructor(url: string, queue: string, prefetch: number, last: number) {
    this.#queue = queue;
    this.#prefetch = prefetch;
    this.#last = last;
    this.#checkGap = last >= 0;
    this.#queueBytes = Buffer.from(queue, 'utf8');
    this.#consumer = new AmqpConsumer({
      url,
      connector: CONNECTOR,
      queue,
      setup: (channel, deliver) => this.#setup(channel, deliver),
    });
  }

  start(): Promise<void> {
    return this.#consumer.start();
  }

  async #setup(channel: Channel, deliver: (message: ConsumeMessage | null) => void): Promise<void> {
    const queue = this.#queue;
    try {
      await channel.checkQueue(queue);
    } catch (error) {
      throw amqpError(CONNECTOR, `stream '${queue}' is not there`, error, { queue });
    }
    // Streams need a per-consumer prefetch (global = false).
    await channel.prefetch(this.#prefetch, false);
    const from = this.#last < 0 ? 'first' : this.#last + 1;
    this.#checkGap = this.#last >= 0;
    try {
      await channel.consume(queue, deliver, { noAck: false, arguments: { [OFFSET_HEADER]: from } });
    } catch (error) {
      throw amqpError(CONNECTOR, `cannot read stream '${queue}' from offset ${from}`, error, { queue });
    }
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch> {
    const messages = await this.#consumer.take(maxRecords, maxWaitMs, signal);
    if (messages.length === 0) return { records: [], position: this.#position() };
    const generation = this.#consumer.generation;
    // The deliveries leave the read-ahead now: give the broker their credit back (see the factory).
    this.#consumer.ack(messages[messages.length - 1]!.fields.deliveryTag, generation);
    const now = Date.now();
    const records: ConnectorRecord[] = [];
    for (const message of messages) {
      const offset = message.properties.headers?.[OFFSET_HEADER];
      if (typeof offset !== 'number')
        throw new EngineError(
          'CONNECTOR_FAILED',
          `${CONNECTOR}: a delivery from '${this.#queue}' has no ${OFFSET_HEADER} header: is it a stream queue?`,
          { retryable: false, details: { connector: CONNECTOR, queue: this.#queue } },
        );
      // Attaching may start at the beginning of the chunk holding the offset asked for.
      if (offset <= this.#last) continue;
      if (this.#checkGap && offset !== this.#last + 1)
        throw new EngineError(
          'SOURCE_POSITION_INVALID',
          `${CONNECTOR}: stream '${this.#queue}' resumed at offset ${offset}, not ${this.#last + 1}: the records between are gone (retention)`,
          { details: { connector: CONNECTOR, queue: this.#queue, expected: this.#last + 1, first: offset } },
        );
      this.#checkGap = false;
      const headers = new Map<string, Uint8Array>();
      headers.set('rivulet.source.queue', this.#queueBytes);
      headers.set('rivulet.source.stream-offset', Buffer.from(String(offset)));
      if (typeof message.properties.messageId === 'string')
        headers.set('rivulet.source.message-id', Buffer.from(message.properties.messageId, 'utf8'));
      records.push(messageToRecord(message, now, headers, OFFSET_HEADER));
      this.#last = offset;
    }
    return { records, position: this.#position() };
  }

  #position(): string {
    return this.#last < 0 ? '' : String(this.#last);
  }

  async commit(position: string): Promise<void> {
    const offset = parseOffset(position, this.#queue);
    if (offset > this.#last)
      throw new EngineError(
        'SOURCE_POSITION_INVALID',
        `${CONNECTOR}: position ${position} was never returned`,
        {
          details: { connector: CONNECTOR, queue: this.#queue, position, returned: this.#position() },
        },
      );
  }

  close(): Promise<void> {
    return this.#consumer.close();
  }
}
