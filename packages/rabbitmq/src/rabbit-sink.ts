import type { ChannelModel, ConfirmChannel, MessagePropertyHeaders, Options } from 'amqplib';
import {
  EngineError,
  type SinkConnector,
  type SinkContext,
  type SinkRecord,
  type SinkWriter,
} from 'rivulet/connector';
import { amqpError, connectAmqp } from './connect-amqp.ts';
import { amqpHeaderValue, KEY_HEADER, recordHeadersToAmqp, TIMESTAMP_MS_HEADER } from './message-record.ts';
import { validateInteger, validateKeys, validateName, validateUrl } from './validate-option.ts';

const CONNECTOR = 'rabbitmq';
const EMPTY = Buffer.alloc(0);

export interface RabbitSinkOptions {
  /** amqp://user:pass@host:port/vhost */
  readonly url: string;
  /** The exchange to publish to; '' (default) is the default exchange, which routes by queue name. */
  readonly exchange?: string;
  /** The routing key of every record. Give this or `queue`. */
  readonly routingKey?: string;
  /** Publish to this queue through the default exchange (it must exist). Give this or `routingKey`. */
  readonly queue?: string;
  /** Delivery mode 2 (written to disk by durable queues). Default true. */
  readonly persistent?: boolean;
  /**
   * Values larger than this are refused with INVALID_RECORD before anything of the call is published.
   * Default 16 MiB; keep it at or below the server's `max_message_size` (128 MiB by default in 3.x).
   */
  readonly maxValueBytes?: number;
  /**
   * Publish as mandatory: a record no queue takes makes `commit` fail (CONNECTOR_FAILED, not retryable)
   * instead of vanishing. Default true.
   */
  readonly mandatory?: boolean;
}

/**
 * Publishes records to RabbitMQ on a confirm channel, in order: `write` publishes, `commit` waits until
 * the broker has confirmed every record published so far. Guarantee: at-least-once (RabbitMQ does not
 * deduplicate; a replay after a crash publishes again). Every record carries its stable
 * `SinkRecord.id` as the AMQP `message-id`, so consumers can drop duplicates; its key in the
 * `rivulet-key` header, its time in `timestamp_in_ms` (and the `timestamp` property, in seconds), and its
 * headers as AMQP headers (UTF-8 text as strings, other bytes as byte arrays). A null value is published
 * as an empty body.
 */
export function rabbitSink(options: RabbitSinkOptions): SinkConnector {
  validateKeys(
    options,
    ['url', 'exchange', 'routingKey', 'queue', 'persistent', 'maxValueBytes', 'mandatory'],
    CONNECTOR,
  );
  const url = validateUrl(options.url, CONNECTOR);
  const exchange = options.exchange ?? '';
  if (typeof exchange !== 'string')
    throw new EngineError('INVALID_ARGUMENT', `${CONNECTOR}: option 'exchange' must be a string`, {
      details: { connector: CONNECTOR, option: 'exchange' },
    });
  if ((options.queue === undefined) === (options.routingKey === undefined))
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${CONNECTOR}: give exactly one of the options 'queue' and 'routingKey'`,
      {
        details: { connector: CONNECTOR, option: options.queue === undefined ? 'routingKey' : 'queue' },
      },
    );
  if (options.queue !== undefined && exchange !== '')
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${CONNECTOR}: option 'queue' publishes through the default exchange; use 'routingKey' with 'exchange'`,
      { details: { connector: CONNECTOR, option: 'queue' } },
    );
  const queue = options.queue === undefined ? undefined : validateName(options.queue, 'queue', CONNECTOR);
  const routingKey = queue ?? options.routingKey;
  if (typeof routingKey !== 'string' || Buffer.byteLength(routingKey) > 255)
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${CONNECTOR}: option 'routingKey' must be a string of at most 255 bytes`,
      {
        details: { connector: CONNECTOR, option: 'routingKey' },
      },
    );
  for (const option of ['persistent', 'mandatory'] as const)
    if (options[option] !== undefined && typeof options[option] !== 'boolean')
      throw new EngineError('INVALID_ARGUMENT', `${CONNECTOR}: option '${option}' must be a boolean`, {
        details: { connector: CONNECTOR, option },
      });
  const config: SinkConfig = {
    url,
    exchange,
    routingKey,
    queue,
    persistent: options.persistent ?? true,
    mandatory: options.mandatory ?? true,
    maxValueBytes: validateInteger(
      options.maxValueBytes,
      'maxValueBytes',
      CONNECTOR,
      1,
      512 * 1024 * 1024,
      16 * 1024 * 1024,
    ),
  };
  return {
    kind: 'sink-connector',
    connector: CONNECTOR,
    guarantee: 'at-least-once',
    async open(context) {
      return RabbitSinkWriter.open(config, context);
    },
  };
}

interface SinkConfig {
  readonly url: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly queue: string | undefined;
  readonly persistent: boolean;
  readonly mandatory: boolean;
  readonly maxValueBytes: number;
}

/**
 * One connection and confirm channel. Confirms are counted by one shared callback (no promise per record).
 * Once the channel closes, or the broker nacks or returns a record, the writer is broken: every later call
 * rejects and the engine reopens and replays from its last commit.
 */
class RabbitSinkWriter implements SinkWriter {
  readonly #config: SinkConfig;
  readonly #connection: ChannelModel;
  readonly #channel: ConfirmChannel;
  readonly #details: Record<string, unknown>;
  #published = 0;
  #confirmed = 0;
  #nacked = 0;
  #returned = 0;
  #closed: EngineError | undefined;
  #settled: (() => void) | undefined;

  static async open(config: SinkConfig, context: SinkContext): Promise<RabbitSinkWriter> {
    const connection = await connectAmqp(config.url, CONNECTOR);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      try {
        if (config.queue !== undefined) await channel.checkQueue(config.queue);
        else if (config.exchange !== '') await channel.checkExchange(config.exchange);
      } catch (error) {
        const what = config.queue === undefined ? `exchange '${config.exchange}'` : `queue '${config.queue}'`;
        throw amqpError(CONNECTOR, `${what} is not there`, error, { sink: context.name });
      }
      return new RabbitSinkWriter(config, connection, channel, context);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error instanceof EngineError
        ? error
        : amqpError(CONNECTOR, 'cannot open a confirm channel', error);
    }
  }

  private constructor(
    config: SinkConfig,
    connection: ChannelModel,
    channel: ConfirmChannel,
    context: SinkContext,
  ) {
    this.#config = config;
    this.#connection = connection;
    this.#channel = channel;
    this.#details = {
      connector: CONNECTOR,
      pipeline: context.pipeline,
      sink: context.name,
      exchange: config.exchange,
      routingKey: config.routingKey,
    };
    channel.on('return', () => {
      this.#returned++;
    });
    channel.on('close', () => {
      this.#closed ??= new EngineError(
        'CONNECTOR_UNAVAILABLE',
        `${CONNECTOR}: the channel to RabbitMQ closed`,
        {
          details: this.#details,
        },
      );
      this.#settled?.();
    });
  }

  /** Counts one confirm; amqplib calls it with an error for a nack or when the channel closes. */
  readonly #onConfirm = (error: unknown): void => {
    if (error === null || error === undefined) this.#confirmed++;
    else this.#nacked++;
    if (this.#confirmed + this.#nacked === this.#published) this.#settled?.();
  };

  async committed(): Promise<undefined> {
    return undefined;
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    this.#throwIfBroken();
    const max = this.#config.maxValueBytes;
    for (let i = 0; i < records.length; i++) {
      const length = records[i]!.value?.byteLength ?? 0;
      if (length > max)
        throw new EngineError(
          'INVALID_RECORD',
          `${CONNECTOR}: a value of ${length} bytes is over maxValueBytes (${max})`,
          {
            details: { ...this.#details, index: i, bytes: length, maxValueBytes: max },
          },
        );
    }
    const { exchange, routingKey, persistent, mandatory } = this.#config;
    for (const record of records) {
      const headers: MessagePropertyHeaders = {};
      recordHeadersToAmqp(record.headers, headers);
      if (record.key !== null) headers[KEY_HEADER] = amqpHeaderValue(record.key);
      headers[TIMESTAMP_MS_HEADER] = record.timestamp;
      const properties: Options.Publish = {
        persistent,
        mandatory,
        messageId: record.id,
        timestamp: Math.floor(record.timestamp / 1000),
        headers,
      };
      let flowing: boolean;
      try {
        flowing = this.#channel.publish(
          exchange,
          routingKey,
          toBuffer(record.value),
          properties,
          this.#onConfirm,
        );
      } catch (error) {
        this.#closed ??= amqpError(CONNECTOR, 'publish failed', error, this.#details);
        throw this.#closed;
      }
      this.#published++;
      if (!flowing) await this.#drained();
    }
    this.#throwIfBroken();
  }

  async commit(_positions: ReadonlyMap<number, number>): Promise<void> {
    if (this.#confirmed + this.#nacked < this.#published && this.#closed === undefined)
      await new Promise<void>((resolve) => {
        this.#settled = resolve;
      });
    this.#settled = undefined;
    this.#throwIfBroken();
  }

  async close(): Promise<void> {
    this.#closed ??= new EngineError('CONNECTOR_FAILED', `${CONNECTOR}: the writer is closed`, {
      retryable: false,
      details: this.#details,
    });
    await this.#connection.close().catch(() => undefined);
  }

  #throwIfBroken(): void {
    if (this.#returned > 0)
      throw new EngineError(
        'CONNECTOR_FAILED',
        `${CONNECTOR}: ${this.#returned} record(s) were unroutable: no queue is bound to exchange '${this.#config.exchange}' with routing key '${this.#config.routingKey}'`,
        { retryable: false, details: { ...this.#details, returned: this.#returned } },
      );
    if (this.#nacked > 0 && this.#closed === undefined)
      throw new EngineError(
        'CONNECTOR_FAILED',
        `${CONNECTOR}: the broker refused (nacked) ${this.#nacked} record(s)`,
        {
          details: { ...this.#details, nacked: this.#nacked },
        },
      );
    if (this.#closed !== undefined) throw this.#closed;
  }

  /** Waits until the socket buffer drains (publish returned false) or the channel closes. */
  #drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#channel.off('drain', done);
        this.#channel.off('close', done);
        resolve();
      };
      this.#channel.on('drain', done);
      this.#channel.on('close', done);
    });
  }
}

function toBuffer(value: Uint8Array | null): Buffer {
  if (value === null) return EMPTY;
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
