import { randomUUID } from 'node:crypto';
import { type JetStreamManager, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ThroughputSample } from './append-throughput.ts';
import { payload } from './record-fixtures.ts';

/**
 * How the peer publishes:
 * - `js-publish`: `jetstream(nc).publish()` (the library's acknowledged publish), up to `window`
 *   un-awaited publishes outstanding (a sliding window, refilled when half are acknowledged).
 * - `core-publish`: `nc.publish(subject, data, { reply })` to the stream's subject with one shared reply
 *   subject; the stream answers every message with a PubAck there (an ack carrying an error fails the
 *   run). Same sliding window. The same protocol exchange as js-publish without a promise and timer per
 *   message: the peer's cheaper client path.
 */
export type NatsPublishMode = 'js-publish' | 'core-publish';

export interface NatsPeer {
  nc: NatsConnection;
  /** The server's version, from its INFO. */
  serverVersion: string;
  jsm: JetStreamManager;
  close(): Promise<void>;
}

export async function connectNatsPeer(url: string): Promise<NatsPeer> {
  const nc = await connect({ servers: url, noEcho: true });
  try {
    const jsm = await jetstreamManager(nc);
    return { nc, jsm, serverVersion: nc.info?.version ?? 'unknown', close: () => nc.close() };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

/**
 * Publishes `messages` messages of `recordBytes` random bytes to a new file-storage stream (one
 * replica, a unique name, default limits; NATS 2.9 does not fsync per message), timed from the first
 * publish to the last acknowledgement. The stream is deleted afterwards.
 */
export async function measureNatsPublish(
  peer: NatsPeer,
  mode: NatsPublishMode,
  recordBytes: number,
  messages: number,
  window: number,
): Promise<ThroughputSample> {
  const name = `bench_${randomUUID().replaceAll('-', '')}`;
  const subject = `${name}.records`;
  await peer.jsm.streams.add({
    name,
    subjects: [`${name}.>`],
    storage: StorageType.File,
    num_replicas: 1,
  });
  try {
    const data = payload(recordBytes);
    const start = performance.now();
    if (mode === 'js-publish') await publishWithJetStream(peer.nc, subject, data, messages, window);
    else await publishWithReplies(peer.nc, subject, data, messages, window);
    const seconds = (performance.now() - start) / 1000;
    const info = await peer.jsm.streams.info(name);
    if (info.state.messages !== messages)
      throw new Error(`stream ${name} holds ${info.state.messages} of ${messages} messages`);
    return { records: messages, payloadBytes: messages * recordBytes, seconds };
  } finally {
    await peer.jsm.streams.delete(name);
  }
}

/** Calls `publishOne` keeping up to `window` publishes unacknowledged; resolves when all are acknowledged. */
function slidingWindow(
  messages: number,
  window: number,
  publishOne: (acked: () => void, failed: (error: unknown) => void) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    let failure = false;
    let progress = 0;
    const watchdog = setInterval(() => {
      if (progress === acked && !failure) {
        failure = true;
        reject(new Error(`no acknowledgement in 30 s (${acked} of ${messages} acknowledged)`));
      }
      progress = acked;
    }, 30_000);
    const onAck = (): void => {
      acked++;
      if (failure) return;
      if (acked === messages) {
        clearInterval(watchdog);
        resolve();
      } else if (sent - acked <= window >> 1) fill();
    };
    const onError = (error: unknown): void => {
      if (failure) return;
      failure = true;
      clearInterval(watchdog);
      reject(error);
    };
    const fill = (): void => {
      while (sent < messages && sent - acked < window && !failure) {
        sent++;
        publishOne(onAck, onError);
      }
    };
    fill();
  });
}

async function publishWithJetStream(
  nc: NatsConnection,
  subject: string,
  data: Uint8Array,
  messages: number,
  window: number,
): Promise<void> {
  const js = jetstream(nc);
  await slidingWindow(messages, window, (acked, failed) => {
    js.publish(subject, data).then(acked, failed);
  });
}

async function publishWithReplies(
  nc: NatsConnection,
  subject: string,
  data: Uint8Array,
  messages: number,
  window: number,
): Promise<void> {
  const reply = `_INBOX.${randomUUID().replaceAll('-', '')}`;
  // PubAcks arrive in publish order on one subscription; each answers the oldest outstanding publish.
  const pending: Array<{ acked: () => void; failed: (error: unknown) => void } | undefined> = [];
  let head = 0;
  const sub = nc.subscribe(reply, {
    callback: (error, msg) => {
      const waiter = pending[head];
      pending[head++] = undefined;
      if (waiter === undefined) return;
      if (error !== null) waiter.failed(error);
      else if (msg.data.length === 0 || msg.string().includes('"error"'))
        waiter.failed(new Error(`publish failed: ${msg.string()}`));
      else waiter.acked();
    },
  });
  try {
    await nc.flush();
    await slidingWindow(messages, window, (acked, failed) => {
      pending.push({ acked, failed });
      nc.publish(subject, data, { reply });
    });
  } finally {
    sub.unsubscribe();
  }
}
