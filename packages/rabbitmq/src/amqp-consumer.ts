import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel, ConsumeMessage, Message } from 'amqplib';
import { EngineError, isEngineError, PollWaiter } from 'rivulet/connector';
import { amqpError, connectAmqp, redactUrl } from './connect-amqp.ts';

/** A lost connection is retried this long before poll rejects with CONNECTOR_UNAVAILABLE. */
const RECONNECT_LIMIT_MS = 60_000;
const RECONNECT_FIRST_DELAY_MS = 100;
const RECONNECT_MAX_DELAY_MS = 2_000;

export interface AmqpConsumerConfig {
  readonly url: string;
  readonly connector: string;
  readonly queue: string;
  /**
   * Prepares a fresh channel after every (re)connect: checks or declares the queue, sets the prefetch and
   * starts consuming into `deliver`. Rejects with an EngineError (non-retryable ones stop reconnecting).
   */
  setup(channel: Channel, deliver: (message: ConsumeMessage | null) => void): Promise<void>;
}

/**
 * One consumer on its own connection and channel, shared by the queue and stream sources: deliveries wait
 * in a FIFO buffer (bounded by the broker through the prefetch the setup sets) until `take` hands them
 * over. A lost connection or channel (server restart, consumer cancelled by the server) drops the buffer
 * (the broker redelivers what was not acknowledged; a stream is re-attached at its next offset by the
 * setup) and reconnects in the background with backoff; every new channel is a new `generation`, since
 * delivery tags are per channel. A non-retryable setup failure, or an outage longer than 60 s, is kept and
 * thrown by the next `take`.
 *
 * Single caller: `take`, `ack`, `qos` and `close` never overlap (the SourceReader contract).
 */
export class AmqpConsumer {
  readonly #config: AmqpConsumerConfig;
  #connection: ChannelModel | undefined;
  #channel: Channel | undefined;
  #generation = 0;
  #buffer: ConsumeMessage[] = [];
  #head = 0;
  readonly #waiter = new PollWaiter();
  #wakeScheduled = false;
  #failure: EngineError | undefined;
  #closed = false;
  readonly #stop = new AbortController();

  constructor(config: AmqpConsumerConfig) {
    this.#config = config;
  }

  /** The current channel's number; deliveries and acks of an older generation are void. */
  get generation(): number {
    return this.#generation;
  }

  /** Connects the first time; rejects with the EngineError of the failed attempt (no retry here). */
  async start(): Promise<void> {
    await this.#attach();
  }

  /**
   * Up to `max` buffered deliveries, waiting up to `maxWaitMs` (or until `signal` aborts) when none is
   * buffered; an empty array when none came. Throws the kept failure once the buffer is empty.
   */
  async take(max: number, maxWaitMs: number, signal?: AbortSignal): Promise<ConsumeMessage[]> {
    if (this.#head === this.#buffer.length && this.#failure === undefined && !signal?.aborted)
      await this.#waiter.wait(maxWaitMs, signal);
    const available = this.#buffer.length - this.#head;
    if (available === 0) {
      if (this.#failure !== undefined) throw this.#failure;
      return [];
    }
    const count = Math.min(max, available);
    const taken = this.#buffer.slice(this.#head, this.#head + count);
    this.#head += count;
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    return taken;
  }

  /** Acknowledges every delivery up to `deliveryTag` of `generation`; false when that channel is gone. */
  ack(deliveryTag: number, generation: number): boolean {
    if (generation !== this.#generation || this.#channel === undefined) return false;
    try {
      this.#channel.ack({ fields: { deliveryTag } } as Message, true);
      return true;
    } catch {
      // The channel closed under us: its deliveries come again; the close handler reconnects.
      return false;
    }
  }

  /**
   * Sets the channel's prefetch; resolves with the broker's reply, which also means every ack sent before
   * it was processed. Never rejects: a failure closes the channel, and the close handler reconnects.
   */
  async qos(count: number, global: boolean): Promise<void> {
    await this.#channel?.prefetch(count, global).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    this.#waiter.wake();
    this.#buffer = [];
    this.#head = 0;
    const connection = this.#connection;
    const channel = this.#channel;
    this.#connection = undefined;
    this.#channel = undefined;
    // Closing the channel first lets it process the acks sent before (the broker requeues the rest).
    await channel?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
  }

  async #attach(): Promise<void> {
    const { url, connector, queue } = this.#config;
    const connection = await connectAmqp(url, connector);
    const generation = ++this.#generation;
    let dead = false;
    const onClose = (): void => {
      dead = true;
      this.#lost(generation);
    };
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      channel.on('close', onClose);
      connection.on('close', onClose);
      await this.#config.setup(channel, (message) => this.#deliver(generation, message));
      if (dead)
        throw new EngineError('CONNECTOR_UNAVAILABLE', 'the connection closed while consuming started');
      if (this.#closed) {
        await connection.close().catch(() => undefined);
        return;
      }
      // Only now may a close start a reconnect (#lost ignores a generation without a channel).
      this.#connection = connection;
      this.#channel = channel;
    } catch (error) {
      if (this.#generation === generation) {
        this.#buffer = [];
        this.#head = 0;
      }
      await connection.close().catch(() => undefined);
      throw isEngineError(error)
        ? error
        : amqpError(connector, `cannot consume from queue '${queue}'`, error, { queue, url: redactUrl(url) });
    }
  }

  #deliver(generation: number, message: ConsumeMessage | null): void {
    if (generation !== this.#generation || this.#closed) return;
    if (message === null) {
      // The server cancelled the consumer (queue deleted, node going down): reconnect to find out.
      this.#lost(generation);
      return;
    }
    this.#buffer.push(message);
    // Wake a waiting poll after the deliveries already read from the socket are buffered too, so a
    // poll hands over a batch rather than the first record of one.
    if (this.#waiter.waiting && !this.#wakeScheduled) {
      this.#wakeScheduled = true;
      setImmediate(() => {
        this.#wakeScheduled = false;
        if (this.#head < this.#buffer.length) this.#waiter.wake();
      });
    }
  }

  #lost(generation: number): void {
    if (this.#closed || generation !== this.#generation || this.#channel === undefined) return;
    const connection = this.#connection;
    this.#connection = undefined;
    this.#channel = undefined;
    this.#buffer = [];
    this.#head = 0;
    connection?.close().catch(() => undefined);
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    const lostAt = Date.now();
    let delay = RECONNECT_FIRST_DELAY_MS;
    while (!this.#closed) {
      try {
        await sleep(delay, undefined, { signal: this.#stop.signal });
      } catch {
        return; // closed
      }
      try {
        await this.#attach();
        return;
      } catch (error) {
        if (this.#closed) return;
        const failure = isEngineError(error)
          ? error
          : amqpError(this.#config.connector, 'reconnect failed', error, { queue: this.#config.queue });
        if (!failure.retryable) {
          this.#fail(failure);
          return;
        }
        if (Date.now() - lostAt > RECONNECT_LIMIT_MS) {
          this.#fail(
            new EngineError(
              'CONNECTOR_UNAVAILABLE',
              `RabbitMQ unreachable for ${RECONNECT_LIMIT_MS} ms: ${failure.message}`,
              { cause: failure, details: { connector: this.#config.connector, queue: this.#config.queue } },
            ),
          );
          return;
        }
        delay = Math.min(delay * 2, RECONNECT_MAX_DELAY_MS);
      }
    }
  }

  #fail(failure: EngineError): void {
    this.#failure = failure;
    this.#waiter.wake();
  }
}
