import {
  type Consumer,
  type ConsumerMessages,
  type FetchMessages,
  JetStreamApiError,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type ConnectorRecord,
  EngineError,
  PollWaiter,
  type SourceBatch,
  type SourceReader,
} from 'rivulet/connector';
import { closeNats } from './connect-nats.ts';
import { decodeRecordHeaders, TOMBSTONE_HEADER } from './record-headers.ts';

export const JETSTREAM_SOURCE = 'nats-jetstream';

/** What a reader needs; resolved by jetStreamSource.open. */
export interface JetStreamReaderConfig {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly stream: string;
  /** The subject filter of the split ('>' for the whole stream). */
  readonly split: string;
  /** Stream sequence of the last record handed out before this reader (the opening position). */
  readonly position: number;
  /** Messages per pull request; the read-ahead holds fewer than twice this. */
  readonly fetchBatch: number;
  /** How long one pull request waits on the server for messages. */
  readonly fetchExpiresMs: number;
  /** The first ordered consumer, created by open so that a bad stream/filter fails there. */
  readonly consumer: Consumer;
}

const STREAM_GONE_MS = 30_000;

const encoder = new TextEncoder();

/**
 * Reads one split of a stream through an ordered pull consumer (ephemeral, in memory on the server,
 * no acks): a background pump keeps one pull request outstanding while fewer than `fetchBatch`
 * records wait here, so the read-ahead is bounded and the server keeps the rest.
 *
 * Ordering: records are handed out in stream-sequence order; a record at or below the last buffered
 * sequence is dropped, so a recreated consumer never repeats one. Failure: any error of a pull (lost
 * connection, a consumer gone after a server restart, a stalled pull) drops the consumer and creates
 * a new one right after the last buffered sequence; only a stream missing for 30 s fails the reader
 * (CONNECTOR_FAILED, not retryable), after the buffered records were handed out. Ownership: the reader
 * owns its connection and closes it.
 */
export class JetStreamReader implements SourceReader {
  private readonly config: JetStreamReaderConfig;
  private records: ConnectorRecord[] = [];
  private sequences: number[] = [];
  private head = 0;
  /** Sequence of the last record handed out by poll. */
  private position: number;
  /** Sequence of the last record buffered. */
  private buffered: number;
  private consumer: Consumer | undefined;
  private messages: ConsumerMessages | undefined;
  private failure: EngineError | undefined;
  private closed = false;
  private readonly waiter = new PollWaiter();
  private wakePump: (() => void) | undefined;
  private readonly pumping: Promise<void>;
  private lastActivity = Date.now();
  private readonly streamBytes: Uint8Array;
  private subject = '';
  private subjectBytes: Uint8Array = new Uint8Array(0);

  constructor(config: JetStreamReaderConfig) {
    this.config = config;
    this.position = config.position;
    this.buffered = config.position;
    this.consumer = config.consumer;
    this.streamBytes = encoder.encode(config.stream);
    this.pumping = this.pump();
    void this.watchConnection();
  }

  /**
   * After a reconnect the pull request in flight is void (the client drops what it sent while
   * disconnected, and the server may have lost the consumer): end it so the pump starts afresh.
   */
  private async watchConnection(): Promise<void> {
    for await (const status of this.config.nc.status()) {
      if (this.closed) return;
      if (status.type === 'reconnect') this.messages?.stop(new Error('reconnected'));
    }
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch> {
    if (this.closed) throw this.closedError();
    if (this.head === this.records.length && this.failure === undefined && maxWaitMs > 0 && !signal?.aborted)
      await this.waiter.wait(maxWaitMs, signal);
    const available = this.records.length - this.head;
    if (available === 0 || maxRecords <= 0) {
      if (this.failure !== undefined) throw this.failure;
      return { records: [], position: String(this.position) };
    }
    const count = Math.min(maxRecords, available);
    const out = this.records.slice(this.head, this.head + count);
    this.position = this.sequences[this.head + count - 1]!;
    this.head += count;
    if (this.head === this.records.length) {
      this.records = [];
      this.sequences = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.sequences = this.sequences.slice(this.head);
      this.head = 0;
    }
    if (this.records.length - this.head < this.config.fetchBatch) this.wakePump?.();
    return { records: out, position: String(this.position) };
  }

  /** Nothing to release: the consumer keeps no acknowledgement state, the position is all there is. */
  async commit(_position: string): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.messages?.stop();
    this.wakePump?.();
    this.waiter.wake();
    await this.pumping;
    const consumer = this.consumer;
    if (consumer !== undefined && !this.config.nc.isClosed())
      await Promise.race([consumer.delete().catch(() => false), delay(1_000)]);
    await closeNats(this.config.nc);
  }

  private async pump(): Promise<void> {
    let failures = 0;
    let streamMissingSince: number | undefined;
    while (!this.closed) {
      if (this.records.length - this.head >= this.config.fetchBatch) {
        await new Promise<void>((resolve) => {
          this.wakePump = resolve;
        });
        this.wakePump = undefined;
        continue;
      }
      try {
        this.consumer ??= await this.config.js.consumers.get(this.config.stream, {
          filter_subjects: this.config.split,
          opt_start_seq: this.buffered + 1,
          inactive_threshold: 60_000,
        });
        await this.fetchOnce(this.consumer);
        failures = 0;
        streamMissingSince = undefined;
      } catch (error) {
        if (this.closed) break;
        const dropped = this.consumer;
        this.consumer = undefined;
        dropped?.delete().catch(() => undefined);
        if (isStreamNotFound(error)) {
          streamMissingSince ??= Date.now();
          if (Date.now() - streamMissingSince > STREAM_GONE_MS) {
            this.fail(
              new EngineError(
                'CONNECTOR_FAILED',
                `${JETSTREAM_SOURCE}: stream '${this.config.stream}' no longer exists`,
                {
                  cause: error,
                  retryable: false,
                  details: {
                    connector: JETSTREAM_SOURCE,
                    stream: this.config.stream,
                    split: this.config.split,
                  },
                },
              ),
            );
            return;
          }
        }
        failures++;
        await this.pause(Math.min(100 * failures, 2_000));
      }
    }
  }

  /**
   * One pull request: buffers what arrives (synchronously per message, so a poll woken by the first
   * message of a socket read sees all of them) until the server ends it; throws when it fails or stalls.
   */
  private async fetchOnce(consumer: Consumer): Promise<void> {
    // `callback` is read by the client's fetch as by consume, though only consume's type declares it.
    const options = {
      max_messages: this.config.fetchBatch,
      expires: this.config.fetchExpiresMs,
      callback: (m: JsMsg) => this.accept(m),
    };
    const messages = await consumer.fetch(options as FetchMessages);
    this.messages = messages;
    if (this.closed) messages.stop();
    this.lastActivity = Date.now();
    const stallMs = this.config.fetchExpiresMs + 10_000;
    const watchdog = setInterval(() => {
      if (Date.now() - this.lastActivity > stallMs) messages.stop(new Error('pull request stalled'));
    }, 1_000);
    try {
      const ended = await messages.closed();
      if (ended instanceof Error) throw ended;
    } finally {
      clearInterval(watchdog);
      this.messages = undefined;
    }
  }

  private accept(m: JsMsg): void {
    const info = m.info;
    const seq = info.streamSequence;
    if (seq <= this.buffered) return;
    this.buffered = seq;
    this.lastActivity = Date.now();
    if (m.subject !== this.subject) {
      this.subject = m.subject;
      this.subjectBytes = encoder.encode(m.subject);
    }
    const headers = new Map<string, Uint8Array>();
    headers.set('rivulet.source.subject', this.subjectBytes);
    headers.set('rivulet.source.stream', this.streamBytes);
    headers.set('rivulet.source.sequence', encoder.encode(String(seq)));
    const key = decodeRecordHeaders(m.headers, headers);
    const tombstone = headers.delete(TOMBSTONE_HEADER);
    this.records.push({
      key,
      // A copy: the message's bytes are a view of the connection's read buffer.
      value: tombstone ? null : m.data.slice(),
      timestamp: Math.floor(info.timestampNanos / 1e6),
      headers,
    });
    this.sequences.push(seq);
    this.waiter.wake();
  }

  private fail(error: EngineError): void {
    this.failure = error;
    this.waiter.wake();
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wakePump = undefined;
        resolve();
      }, ms);
      this.wakePump = () => {
        clearTimeout(timer);
        this.wakePump = undefined;
        resolve();
      };
    });
  }

  private closedError(): EngineError {
    return new EngineError('CONNECTOR_FAILED', `${JETSTREAM_SOURCE}: the reader is closed`, {
      retryable: false,
      details: { connector: JETSTREAM_SOURCE, stream: this.config.stream, split: this.config.split },
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === 10059 || error.message === 'stream not found');
}
