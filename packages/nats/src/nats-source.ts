import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type ConnectorRecord,
  EngineError,
  PollWaiter,
  type SourceBatch,
  type SourceConnector,
  type SourceFeatures,
  type SourceReader,
} from 'rivulet/connector';
import { closeNats, connectNats } from './connect-nats.ts';
import { checkInteger, checkKnownOptions, checkServers, checkSubject } from './nats-options.ts';
import { decodeRecordHeaders, TOMBSTONE_HEADER } from './record-headers.ts';

export const NATS_SOURCE = 'nats';

export interface NatsSourceOptions {
  /** NATS server URL(s), e.g. 'nats://127.0.0.1:4222'. */
  servers: string | string[];
  /** The subject subscribed to (wildcards allowed). */
  subject: string;
  /** A queue group: subscribers of one group share the messages (each goes to one of them). */
  queue?: string;
  /** Records held while nobody polls, at most (1..1000000, default 10000); more are dropped and counted. */
  maxPending?: number;
  /** Value bytes held while nobody polls, at most (default 8 MiB); more are dropped and counted. */
  maxPendingBytes?: number;
}

const FEATURES: SourceFeatures = {
  ordered: true,
  persistent: false,
  positioned: false,
  replay: 'at-most-once',
};
const COUNTER = /^(0|[1-9][0-9]*)$/;
const encoder = new TextEncoder();

/**
 * A core NATS subscription as a source: what is published while the reader is subscribed arrives
 * (in publish order per publisher); what is published while it is not, or beyond its bounded pending
 * buffer, is lost ('at-most-once', not persistent, not positioned). The position is a counter of records
 * handed out, kept only so checkpoints have something to store. Records keep their user headers and
 * get `rivulet.source.subject`; the key comes from `Rivulet-Key`, the timestamp is the arrival time.
 */
export function natsSource(options: NatsSourceOptions): SourceConnector {
  const connector = NATS_SOURCE;
  checkKnownOptions(connector, options, ['servers', 'subject', 'queue', 'maxPending', 'maxPendingBytes']);
  const servers = checkServers(connector, options.servers);
  const subject = checkSubject(connector, 'subject', options.subject, true);
  if (
    options.queue !== undefined &&
    (typeof options.queue !== 'string' || !/^[^\s.*>]+$/.test(options.queue))
  )
    throw new EngineError('INVALID_ARGUMENT', `${connector}: option 'queue' must be a queue group name`, {
      details: { connector, option: 'queue', value: options.queue },
    });
  const maxPending = checkInteger(connector, 'maxPending', options.maxPending, 1, 1_000_000, 10_000);
  const maxPendingBytes = checkInteger(
    connector,
    'maxPendingBytes',
    options.maxPendingBytes,
    1024,
    2 ** 31,
    8 * 1024 * 1024,
  );

  const open = async (split: string, position: string | undefined): Promise<SourceReader> => {
    if (split !== subject)
      throw new EngineError('INVALID_ARGUMENT', `${connector}: '${split}' is not a split of this source`, {
        details: { connector, split, splits: [subject] },
      });
    if (position !== undefined && !(COUNTER.test(position) && Number.isSafeInteger(Number(position))))
      throw new EngineError(
        'SOURCE_POSITION_INVALID',
        `${connector}: position ${JSON.stringify(position)} is not a record counter`,
        { details: { connector, subject, position } },
      );
    const nc = await connectNats(servers, connector, `rivulet ${connector} ${subject}`);
    const reader = new NatsReader(nc, subject, position === undefined ? 0 : Number(position), {
      maxPending,
      maxPendingBytes,
    });
    try {
      reader.subscribe(options.queue);
      // Once the server has the subscription, everything published after open resolves arrives.
      await nc.flush();
      return reader;
    } catch (cause) {
      await closeNats(nc);
      throw new EngineError('CONNECTOR_UNAVAILABLE', `${connector}: cannot subscribe to '${subject}'`, {
        cause,
        details: { connector, subject },
      });
    }
  };

  return { kind: 'source-connector', connector, features: FEATURES, splits: async () => [subject], open };
}

/**
 * One subscription. Blocking: messages are taken in the connection's callback, never awaited; a full
 * buffer drops the newest and counts it in `dropped`. Failure: the client reconnects and resubscribes
 * by itself (what is published meanwhile is lost); a subscription the server refuses (permissions)
 * fails the reader with CONNECTOR_FAILED. Ownership: the reader owns its connection.
 */
export class NatsReader implements SourceReader {
  /** Records dropped because the pending buffer was full. */
  dropped = 0;
  private records: ConnectorRecord[] = [];
  private head = 0;
  private pendingBytes = 0;
  private position: number;
  private subscription: Subscription | undefined;
  private failure: EngineError | undefined;
  private readonly waiter = new PollWaiter();
  private subjectName = '';
  private subjectBytes: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    position: number,
    private readonly limits: { maxPending: number; maxPendingBytes: number },
  ) {
    this.position = position;
  }

  subscribe(queue: string | undefined): void {
    this.subscription = this.nc.subscribe(this.subject, {
      ...(queue === undefined ? {} : { queue }),
      callback: (error, m) => {
        if (error) {
          this.failure ??= new EngineError(
            'CONNECTOR_FAILED',
            `${NATS_SOURCE}: subscription to '${this.subject}' failed: ${error.message}`,
            { cause: error, retryable: false, details: { connector: NATS_SOURCE, subject: this.subject } },
          );
          this.waiter.wake();
          return;
        }
        this.accept(m);
      },
    });
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch> {
    if (this.head === this.records.length && this.failure === undefined && maxWaitMs > 0 && !signal?.aborted)
      await this.waiter.wait(maxWaitMs, signal);
    const available = this.records.length - this.head;
    if (available === 0) {
      if (this.failure !== undefined) throw this.failure;
      return { records: [], position: String(this.position) };
    }
    const count = Math.min(maxRecords, available);
    const out = this.records.slice(this.head, this.head + count);
    for (const r of out) this.pendingBytes -= r.value?.byteLength ?? 0;
    this.head += count;
    this.position += count;
    if (this.head === this.records.length) {
      this.records = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return { records: out, position: String(this.position) };
  }

  /** Nothing to acknowledge: core NATS forgets a message once delivered. */
  async commit(_position: string): Promise<void> {}

  async close(): Promise<void> {
    this.subscription?.unsubscribe();
    this.waiter.wake();
    await closeNats(this.nc);
  }

  private accept(m: Msg): void {
    const data = m.data;
    if (
      this.records.length - this.head >= this.limits.maxPending ||
      this.pendingBytes + data.byteLength > this.limits.maxPendingBytes
    ) {
      this.dropped++;
      return;
    }
    if (m.subject !== this.subjectName) {
      this.subjectName = m.subject;
      this.subjectBytes = encoder.encode(m.subject);
    }
    const headers = new Map<string, Uint8Array>();
    headers.set('rivulet.source.subject', this.subjectBytes);
    const key = decodeRecordHeaders(m.headers, headers);
    const tombstone = headers.delete(TOMBSTONE_HEADER);
    // A copy: the message's bytes are a view of the connection's read buffer.
    const value = tombstone ? null : data.slice();
    this.pendingBytes += value?.byteLength ?? 0;
    this.records.push({ key, value, timestamp: Date.now(), headers });
    this.waiter.wake();
  }
}
