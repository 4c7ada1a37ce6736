import { connect, headers } from '@nats-io/transport-node';
import type {
  SinkFixture,
  SinkHarness,
  SourceFixture,
  SourceHarness,
  StoredRecord,
} from 'rivulet/connector/conformance';
import { natsSink } from '../src/nats-sink.ts';
import { natsSource } from '../src/nats-source.ts';
import { MAX_PAYLOAD, uniqueName } from './jetstream-harness.ts';
import { SHARED_SERVER } from './nats-server-process.ts';

/** Core NATS source fixtures on the shared server: a unique subject, written with plain publishes. */
export const natsSourceHarness: SourceHarness = {
  features: { ordered: true, persistent: false, positioned: false, replay: 'at-most-once' },
  partitioned: false,
  restartable: false,
  async create(): Promise<SourceFixture> {
    const nc = await connect({ servers: SHARED_SERVER });
    const subject = `${uniqueName('rivulet_core')}.in`;
    const source = natsSource({ servers: SHARED_SERVER, subject });
    return {
      source,
      async produce(records) {
        for (const r of records) {
          const h = headers();
          h.set('Rivulet-Key', r.key);
          nc.publish(subject, r.value, { headers: h });
        }
        // Once flushed, the server has routed every message to the subscribers.
        await nc.flush();
      },
      close: () => nc.close(),
    };
  },
};

/**
 * Core NATS sink fixtures on the shared server: a subscriber on a unique subject, subscribed before
 * anything is written (core NATS keeps nothing for absent subscribers), collects what arrives.
 */
export const natsSinkHarness: SinkHarness = {
  guarantee: 'at-least-once',
  upsert: false,
  ordered: true,
  structured: false,
  maxValueBytes: MAX_PAYLOAD,
  restartable: false,
  async create(): Promise<SinkFixture> {
    const nc = await connect({ servers: SHARED_SERVER });
    const subject = `${uniqueName('rivulet_core')}.out`;
    const stored: StoredRecord[] = [];
    nc.subscribe(subject, {
      callback: (error, m) => {
        if (error) throw error;
        stored.push({
          key: m.headers?.get('Rivulet-Key') ?? null,
          value: JSON.parse(Buffer.from(m.data).toString('utf8')) as Record<string, unknown>,
        });
      },
    });
    await nc.flush();
    return {
      sink: natsSink({ servers: SHARED_SERVER, subject }),
      async readAll() {
        // The sink's commit flushed its messages to the server; this round trip comes back after them.
        await nc.flush();
        return [...stored];
      },
      close: () => nc.close(),
    };
  },
};
