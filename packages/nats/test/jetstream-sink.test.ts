import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isEngineError, type SinkRecord } from 'rivulet/connector';
import { jetStreamSink } from '../src/jetstream-sink.ts';
import { MAX_PAYLOAD, readStream, uniqueName } from './jetstream-harness.ts';
import { SHARED_SERVER } from './nats-server-process.ts';

let nc: NatsConnection;
let jsm: JetStreamManager;
const streams: string[] = [];

before(async () => {
  nc = await connect({ servers: SHARED_SERVER });
  jsm = await jetstreamManager(nc);
});
after(async () => {
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
  await nc.close();
});

async function newStream(duplicateWindowMs?: number): Promise<string> {
  const name = uniqueName('rivulet_jss');
  await jsm.streams.add({
    name,
    subjects: [`${name}.>`],
    num_replicas: 1,
    ...(duplicateWindowMs === undefined ? {} : { duplicate_window: duplicateWindowMs * 1_000_000 }),
  });
  streams.push(name);
  return name;
}

function records(from: number, count: number): SinkRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`k${(from + i) % 5}`),
    value: Buffer.from(JSON.stringify({ seq: from + i })),
    timestamp: 0,
    headers: undefined,
    partition: 0,
    offset: from + i,
    id: `p/s/0/${from + i}`,
  }));
}

const context = { pipeline: 'p', name: 's', partitions: 1 };
const stored = async (stream: string) => (await jsm.streams.info(stream)).state.messages;

describe('jetStreamSink', () => {
  test('a replay inside the duplicate window is dropped by Nats-Msg-Id', async () => {
    const stream = await newStream();
    const sink = jetStreamSink({ servers: SHARED_SERVER, subject: `${stream}.out` });
    const first = await sink.open(context);
    await first.write(records(0, 100));
    await first.commit(new Map([[0, 100]]));
    await first.close();
    const second = await sink.open(context);
    await second.write(records(50, 100)); // 50..99 again, then 100..149
    await second.commit(new Map([[0, 150]]));
    await second.close();
    assert.equal(await stored(stream), 150);
    const seqs = (await readStream(nc, stream)).map((m) => JSON.parse(Buffer.from(m.data).toString()).seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: 150 }, (_, i) => i),
    );
    const ids = (await readStream(nc, stream)).map((m) => m.headers?.get('Nats-Msg-Id'));
    assert.deepEqual(ids.slice(0, 2), ['p/s/0/0', 'p/s/0/1']);
  });

  test('documented limit: a replay later than the duplicate window is stored again', async () => {
    const stream = await newStream(200);
    const sink = jetStreamSink({ servers: SHARED_SERVER, subject: `${stream}.out` });
    const writer = await sink.open(context);
    try {
      await writer.write(records(0, 10));
      await writer.commit(new Map([[0, 10]]));
      // Let the 200 ms window pass (the server forgets ids after it), then replay the same records.
      await new Promise((resolve) => setTimeout(resolve, 600));
      await writer.write(records(0, 10));
      await writer.commit(new Map([[0, 10]]));
    } finally {
      await writer.close();
    }
    assert.equal(await stored(stream), 20);
  });

  test('a record over max_payload or with a header NATS cannot carry is refused before anything is published', async () => {
    const stream = await newStream();
    const writer = await jetStreamSink({ servers: SHARED_SERVER, subject: `${stream}.out` }).open(context);
    try {
      const big = records(0, 5);
      big[3] = { ...big[3]!, value: Buffer.alloc(MAX_PAYLOAD - 40, 0x61) }; // fits alone, not with its ~51 header bytes
      await assert.rejects(writer.write(big), (e: unknown) => {
        assert.ok(isEngineError(e, 'INVALID_RECORD'), String(e));
        assert.equal(e.details.index, 3);
        assert.equal(e.details.id, 'p/s/0/3');
        return true;
      });
      const binaryHeader = records(0, 5);
      binaryHeader[1] = { ...binaryHeader[1]!, headers: new Map([['h', new Uint8Array([0xff, 0xfe])]]) };
      await assert.rejects(writer.write(binaryHeader), (e: unknown) => {
        assert.ok(isEngineError(e, 'INVALID_RECORD'), String(e));
        assert.equal(e.details.index, 1);
        return true;
      });
      await writer.commit(new Map());
      assert.equal(await stored(stream), 0, 'nothing of a refused call was published');
    } finally {
      await writer.close();
    }
  });

  test('a subject no stream stores fails open with CONNECTOR_FAILED, not retryable', async () => {
    const sink = jetStreamSink({ servers: SHARED_SERVER, subject: `${uniqueName('rivulet_nostream')}.out` });
    await assert.rejects(sink.open(context), (e: unknown) => {
      assert.ok(isEngineError(e, 'CONNECTOR_FAILED'), String(e));
      assert.equal(e.retryable, false);
      assert.match(e.message, /no JetStream stream stores subject/);
      return true;
    });
  });
});
