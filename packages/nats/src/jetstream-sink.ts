import {
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamPublishOptions,
  jetstream,
  jetstreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  EngineError,
  type SinkConnector,
  type SinkContext,
  type SinkRecord,
  type SinkWriter,
} from 'rivulet/connector';
import { closeNats, connectNats } from './connect-nats.ts';
import { checkInteger, checkKnownOptions, checkServers, checkSubject } from './nats-options.ts';
import { prepareMessages, SubjectRouter } from './outgoing-messages.ts';

export const JETSTREAM_SINK = 'nats-jetstream';

export interface JetStreamSinkOptions {
  /** NATS server URL(s), e.g. 'nats://127.0.0.1:4222'. */
  servers: string | string[];
  /** The subject published to (no wildcards); with `partitions`, the prefix of `<subject>.<p>`. */
  subject: string;
  /** Publish to `<subject>.<partitionForKey(key)>` (unkeyed: round-robin), as jetStreamSource reads. */
  partitions?: number;
  /** Publishes awaiting their acknowledgement at most (1..100000, default 2000). */
  maxInFlight?: number;
  /** How long one publish waits for its acknowledgement (1000..120000 ms, default 10000). */
  ackTimeoutMs?: number;
}

/**
 * Publishes records to a JetStream stream with `Nats-Msg-Id: <record.id>`: the stream drops a message
 * whose id it stored within its `duplicate_window` (default 2 minutes), so a replay after a crash does
 * not duplicate (guarantee 'idempotent'); a replay later than the window does.
 */
export function jetStreamSink(options: JetStreamSinkOptions): SinkConnector {
  const connector = JETSTREAM_SINK;
  checkKnownOptions(connector, options, ['servers', 'subject', 'partitions', 'maxInFlight', 'ackTimeoutMs']);
  const servers = checkServers(connector, options.servers);
  const subject = checkSubject(connector, 'subject', options.subject, false);
  const partitions =
    options.partitions === undefined
      ? undefined
      : checkInteger(connector, 'partitions', options.partitions, 1, 100_000, 1);
  const maxInFlight = checkInteger(connector, 'maxInFlight', options.maxInFlight, 1, 100_000, 2_000);
  const ackTimeoutMs = checkInteger(connector, 'ackTimeoutMs', options.ackTimeoutMs, 1_000, 120_000, 10_000);

  const open = async (context: SinkContext): Promise<SinkWriter> => {
    const nc = await connectNats(
      servers,
      connector,
      `rivulet ${connector} ${context.pipeline}/${context.name}`,
    );
    try {
      const probe = partitions === undefined ? subject : `${subject}.0`;
      let stream: string;
      let maxBytes = nc.info?.max_payload ?? 1024 * 1024;
      try {
        const jsm = await jetstreamManager(nc, { timeout: ackTimeoutMs });
        stream = await jsm.streams.find(probe);
        const info = await jsm.streams.info(stream);
        if (info.config.max_msg_size > 0) maxBytes = Math.min(maxBytes, info.config.max_msg_size);
      } catch (cause) {
        if (cause instanceof JetStreamApiError || (cause as Error).message === 'no stream matches subject')
          throw new EngineError(
            'CONNECTOR_FAILED',
            `${connector}: no JetStream stream stores subject '${probe}': ${(cause as Error).message}`,
            { cause, retryable: false, details: { connector, subject: probe } },
          );
        throw new EngineError(
          'CONNECTOR_UNAVAILABLE',
          `${connector}: cannot look up the stream of subject '${probe}': ${(cause as Error).message}`,
          { cause, details: { connector, subject: probe } },
        );
      }
      const js = jetstream(nc, { timeout: ackTimeoutMs });
      return new JetStreamWriter(
        nc,
        js,
        stream,
        new SubjectRouter(subject, partitions),
        maxBytes,
        maxInFlight,
      );
    } catch (error) {
      await closeNats(nc);
      throw error;
    }
  };

  return { kind: 'sink-connector', connector, guarantee: 'idempotent', open };
}

/**
 * One sink's publisher. Ordering: messages go out on one connection in write order, so the stream
 * stores them in that order. Blocking: `write` returns once its messages are handed to the connection,
 * waiting only while `maxInFlight` acknowledgements are outstanding; `commit` waits for all of them.
 * Failure: the first failed publish, or a lost connection, fails the writer (every later call
 * rethrows it) and the engine reopens and replays from the last commit; what the stream stored
 * meanwhile (a prefix, as one connection delivers in order) is dropped as duplicates.
 */
class JetStreamWriter implements SinkWriter {
  private pending: Promise<unknown>[] = [];
  private failure: EngineError | undefined;
  private readonly onAck: (ack: PubAck) => void;
  private readonly onError: (error: unknown) => void;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly router: SubjectRouter,
    private readonly maxBytes: number,
    private readonly maxInFlight: number,
  ) {
    this.onAck = () => undefined;
    this.onError = (error) => {
      this.failure ??= publishFailure(error, this.stream);
    };
    void this.watchConnection();
  }

  /**
   * A lost connection fails the writer at once: the client drops what it publishes while
   * disconnected, so waiting for those acknowledgements would only time out. The engine reopens and
   * replays; duplicates of what the server did store are dropped by their message ids.
   */
  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting') {
        this.failure ??= new EngineError(
          'CONNECTOR_UNAVAILABLE',
          `${JETSTREAM_SINK}: the connection to the server was lost; publishes in flight may be lost`,
          { details: { connector: JETSTREAM_SINK, stream: this.stream } },
        );
        return;
      }
    }
  }

  /** Positions are not stored in the stream: the engine keeps them (an idempotent sink). */
  async committed(): Promise<ReadonlyMap<number, number> | undefined> {
    return undefined;
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const out = prepareMessages(records, this.router, this.maxBytes, true, JETSTREAM_SINK);
    const options: Partial<JetStreamPublishOptions> = {};
    for (let i = 0; i < records.length; i++) {
      if (this.nc.isClosed()) throw this.closedError();
      const h = out.headers[i];
      if (h === undefined) delete options.headers;
      else options.headers = h;
      this.pending.push(
        this.js.publish(out.subjects[i]!, out.payloads[i]!, options).then(this.onAck, this.onError),
      );
      if (this.pending.length >= this.maxInFlight) await this.settle();
      if (this.failure !== undefined) throw this.failure;
    }
  }

  async commit(_positions: ReadonlyMap<number, number>): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    await this.settle();
    if (this.failure !== undefined) throw this.failure;
  }

  /** Closes the connection without waiting for outstanding acknowledgements. */
  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await closeNats(this.nc);
    await Promise.allSettled(pending);
  }

  private async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
  }

  private closedError(): EngineError {
    return new EngineError('CONNECTOR_UNAVAILABLE', `${JETSTREAM_SINK}: the connection is closed`, {
      details: { connector: JETSTREAM_SINK, stream: this.stream },
    });
  }
}

/** A refusal by JetStream is CONNECTOR_FAILED (not retryable); anything else (timeouts, a lost server) is CONNECTOR_UNAVAILABLE. */
function publishFailure(cause: unknown, stream: string): EngineError {
  const message = `${JETSTREAM_SINK}: publish to stream '${stream}' failed: ${(cause as Error)?.message}`;
  if (cause instanceof JetStreamApiError)
    return new EngineError('CONNECTOR_FAILED', message, {
      cause,
      retryable: false,
      details: { connector: JETSTREAM_SINK, stream, apiCode: cause.code },
    });
  return new EngineError('CONNECTOR_UNAVAILABLE', message, {
    cause,
    details: { connector: JETSTREAM_SINK, stream },
  });
}
