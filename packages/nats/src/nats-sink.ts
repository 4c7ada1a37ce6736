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

export const NATS_SINK = 'nats';

export interface NatsSinkOptions {
  /** NATS server URL(s), e.g. 'nats://127.0.0.1:4222'. */
  servers: string | string[];
  /** The subject published to (no wildcards); with `partitions`, the prefix of `<subject>.<p>`. */
  subject: string;
  /** Publish to `<subject>.<partitionForKey(key)>` (unkeyed: round-robin). */
  partitions?: number;
  /** How long `commit` waits for the server to confirm it has every message (1000..120000 ms, default 10000). */
  flushTimeoutMs?: number;
}

/**
 * Publishes records with core NATS. `commit` flushes: the server has then processed every message and
 * handed it to the subscribers connected at that moment. Subscribers that are not connected never get
 * it, and a replay after a crash publishes again ('at-least-once' towards connected subscribers).
 * Each message also carries `Nats-Msg-Id: <record.id>`, so a JetStream stream capturing the subject
 * drops replayed duplicates.
 */
export function natsSink(options: NatsSinkOptions): SinkConnector {
  const connector = NATS_SINK;
  checkKnownOptions(connector, options, ['servers', 'subject', 'partitions', 'flushTimeoutMs']);
  const servers = checkServers(connector, options.servers);
  const subject = checkSubject(connector, 'subject', options.subject, false);
  const partitions =
    options.partitions === undefined
      ? undefined
      : checkInteger(connector, 'partitions', options.partitions, 1, 100_000, 1);
  const flushTimeoutMs = checkInteger(
    connector,
    'flushTimeoutMs',
    options.flushTimeoutMs,
    1_000,
    120_000,
    10_000,
  );

  const open = async (context: SinkContext): Promise<SinkWriter> => {
    const nc = await connectNats(
      servers,
      connector,
      `rivulet ${connector} ${context.pipeline}/${context.name}`,
    );
    return new NatsWriter(nc, new SubjectRouter(subject, partitions), flushTimeoutMs);
  };

  return { kind: 'sink-connector', connector, guarantee: 'at-least-once', open };
}

/**
 * One sink's publisher. Ordering: one connection, messages in write order. Blocking: `write` only
 * queues on the connection (the client buffers while reconnecting); `commit` waits for a flush.
 * Failure: a flush that times out or a closed connection is CONNECTOR_UNAVAILABLE (retryable).
 */
class NatsWriter implements SinkWriter {
  constructor(
    private readonly nc: NatsConnection,
    private readonly router: SubjectRouter,
    private readonly flushTimeoutMs: number,
  ) {}

  async committed(): Promise<ReadonlyMap<number, number> | undefined> {
    return undefined;
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    const maxBytes = this.nc.info?.max_payload ?? 1024 * 1024;
    const out = prepareMessages(records, this.router, maxBytes, true, NATS_SINK);
    try {
      for (let i = 0; i < records.length; i++) {
        const h = out.headers[i];
        this.nc.publish(out.subjects[i]!, out.payloads[i]!, h === undefined ? undefined : { headers: h });
      }
    } catch (cause) {
      throw this.unavailable('publish failed', cause);
    }
  }

  async commit(_positions: ReadonlyMap<number, number>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.nc.flush(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no flush confirmation within ${this.flushTimeoutMs} ms`)),
            this.flushTimeoutMs,
          );
        }),
      ]);
    } catch (cause) {
      throw this.unavailable('flush failed', cause);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await closeNats(this.nc);
  }

  private unavailable(what: string, cause: unknown): EngineError {
    return new EngineError('CONNECTOR_UNAVAILABLE', `${NATS_SINK}: ${what}: ${(cause as Error)?.message}`, {
      cause,
      details: { connector: NATS_SINK },
    });
  }
}
