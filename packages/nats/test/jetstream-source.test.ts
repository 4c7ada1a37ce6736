import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { isEngineError, partitionForKey, type SinkRecord, type SourceReader } from 'rivulet/connector';
import { jetStreamSink } from '../src/jetstream-sink.ts';
import { jetStreamSource } from '../src/jetstream-source.ts';
import { uniqueName } from './jetstream-harness.ts';
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

async function newStream(): Promise<string> {
  const name = uniqueName('rivulet_js');
  await jsm.streams.add({ name, subjects: [`${name}.>`], num_replicas: 1 });
  streams.push(name);
  return name;
}

/** Polls until `count` records came (or 10 s passed). */
async function readN(reader: SourceReader, count: number) {
  const out = [];
  let position = '';
  const deadline = Date.now() + 10_000;
  while (out.length < count && Date.now() < deadline) {
    const batch = await reader.poll(count - out.length, 200);
    out.push(...batch.records);
    position = batch.position;
  }
  return { records: out, position };
}

const text = (b: Uint8Array | null | undefined) => (b == null ? null : Buffer.from(b).toString('utf8'));

describe('jetStreamSource', () => {
  test('malformed or gone positions are SOURCE_POSITION_INVALID', async () => {
    const stream = await newStream();
    const js = jetstream(nc);
    for (let i = 0; i < 5; i++) await js.publish(`${stream}.a`, `v${i}`);
    const source = jetStreamSource({ servers: SHARED_SERVER, stream });
    const [split] = await source.splits();
    for (const position of ['abc', '-1', '1.5', '', '01', ' 3', '99999999999999999999', '6'])
      await assert.rejects(source.open(split!, position), (e: unknown) => {
        assert.ok(isEngineError(e, 'SOURCE_POSITION_INVALID'), `position ${JSON.stringify(position)}: ${e}`);
        assert.equal(e.details.connector, 'nats-jetstream');
        return true;
      });
    // Records after position 1 purged: resuming there would skip records silently.
    await jsm.streams.purge(stream, { keep: 2 });
    await assert.rejects(source.open(split!, '1'), (e: unknown) =>
      isEngineError(e, 'SOURCE_POSITION_INVALID'),
    );
    // Right before the first kept record is fine, and reads on from there.
    const reader = await source.open(split!, '3');
    try {
      const { records, position } = await readN(reader, 2);
      assert.deepEqual(
        records.map((r) => text(r.value)),
        ['v3', 'v4'],
      );
      assert.equal(position, '5');
    } finally {
      await reader.close();
    }
  });

  test('unknown stream is INVALID_ARGUMENT at open; an unreachable server is retryable CONNECTOR_UNAVAILABLE', async () => {
    const source = jetStreamSource({ servers: SHARED_SERVER, stream: uniqueName('rivulet_missing') });
    await assert.rejects(source.open((await source.splits())[0]!, undefined), (e: unknown) => {
      assert.ok(isEngineError(e, 'INVALID_ARGUMENT'), String(e));
      assert.match(e.message, /does not exist/);
      return true;
    });
    const unreachable = jetStreamSource({ servers: 'nats://127.0.0.1:1', stream: 'S' });
    await assert.rejects(unreachable.open('>', undefined), (e: unknown) => {
      assert.ok(isEngineError(e, 'CONNECTOR_UNAVAILABLE'), String(e));
      assert.equal(e.retryable, true);
      return true;
    });
  });

  test('records carry key, stream timestamp, user headers and rivulet.source.* provenance', async () => {
    const stream = await newStream();
    const source = jetStreamSource({ servers: SHARED_SERVER, stream, subject: `${stream}.in` });
    const reader = await source.open(`${stream}.in`, undefined);
    try {
      const js = jetstream(nc);
      const h1 = headers();
      h1.set('Rivulet-Key', 'user-7');
      h1.set('trace', 'abc');
      const h2 = headers();
      h2.set('Rivulet-Key-Base64', Buffer.from([0, 255, 10]).toString('base64'));
      const before = Date.now();
      const acks = [
        await js.publish(`${stream}.in`, '{"a":1}', { headers: h1, msgID: 'm1' }),
        await js.publish(`${stream}.in`, '{"a":2}', { headers: h2 }),
        await js.publish(`${stream}.in`, '{"a":3}'),
        await js.publish(`${stream}.other`, 'not this split'),
      ];
      const afterPublish = Date.now();
      const { records, position } = await readN(reader, 3);
      assert.equal(records.length, 3);
      assert.equal(position, String(acks[2]!.seq));
      assert.deepEqual(
        records.map((r) => text(r.value)),
        ['{"a":1}', '{"a":2}', '{"a":3}'],
      );
      assert.deepEqual(
        records.map((r) => (r.key === null ? null : [...r.key])),
        [[...Buffer.from('user-7')], [0, 255, 10], null],
      );
      records.forEach((r, i) => {
        assert.ok(
          r.timestamp >= before - 1000 && r.timestamp <= afterPublish + 1000,
          `timestamp ${r.timestamp}`,
        );
        assert.equal(text(r.headers!.get('rivulet.source.subject')), `${stream}.in`);
        assert.equal(text(r.headers!.get('rivulet.source.stream')), stream);
        assert.equal(text(r.headers!.get('rivulet.source.sequence')), String(acks[i]!.seq));
      });
      assert.equal(text(records[0]!.headers!.get('trace')), 'abc');
      assert.ok(!records[0]!.headers!.has('Nats-Msg-Id'), 'NATS system headers are not handed over');
      assert.ok(!records[0]!.headers!.has('Rivulet-Key'), 'the key header becomes the key');
    } finally {
      await reader.close();
    }
  });

  test("startFrom 'latest' skips what was stored before open, and its position resumes there", async () => {
    const stream = await newStream();
    const js = jetstream(nc);
    for (let i = 0; i < 3; i++) await js.publish(`${stream}.a`, `old${i}`);
    const source = jetStreamSource({ servers: SHARED_SERVER, stream, startFrom: 'latest' });
    const reader = await source.open('>', undefined);
    let position: string;
    try {
      const empty = await reader.poll(10, 300);
      assert.equal(empty.records.length, 0);
      assert.equal(empty.position, '3');
      await js.publish(`${stream}.a`, 'new0');
      const got = await readN(reader, 1);
      assert.deepEqual(
        got.records.map((r) => text(r.value)),
        ['new0'],
      );
      position = got.position;
    } finally {
      await reader.close();
    }
    await js.publish(`${stream}.a`, 'new1');
    const again = await source.open('>', position);
    try {
      assert.deepEqual(
        (await readN(again, 1)).records.map((r) => text(r.value)),
        ['new1'],
      );
    } finally {
      await again.close();
    }
  });

  test('jetStreamSink -> jetStreamSource over 3 partition subjects: keys, tombstones and headers survive', async () => {
    const stream = await newStream();
    const subject = `${stream}.p`;
    const writer = await jetStreamSink({ servers: SHARED_SERVER, subject, partitions: 3 }).open({
      pipeline: 't',
      name: 's',
      partitions: 1,
    });
    const records: SinkRecord[] = Array.from({ length: 60 }, (_, i) => ({
      key: i % 10 === 9 ? null : i % 10 === 8 ? new Uint8Array([0xff, i]) : Buffer.from(`k${i % 8}`),
      value: i % 20 === 7 ? null : Buffer.from(`v${i}`),
      timestamp: 0,
      headers: new Map([['n', Buffer.from(String(i))]]),
      partition: 0,
      offset: i,
      id: `t/s/0/${i}`,
    }));
    try {
      await writer.write(records);
      await writer.commit(new Map([[0, 60]]));
    } finally {
      await writer.close();
    }
    const source = jetStreamSource({ servers: SHARED_SERVER, stream, subject, partitions: 3 });
    const splits = await source.splits();
    assert.deepEqual(splits, [`${subject}.0`, `${subject}.1`, `${subject}.2`]);
    const seen = new Map<number, { split: number; key: number[] | null; value: string | null }>();
    const readers = await Promise.all(splits.map((split) => source.open(split, undefined)));
    try {
      const deadline = Date.now() + 10_000;
      while (seen.size < 60 && Date.now() < deadline)
        for (const [s, reader] of readers.entries())
          for (const r of (await reader.poll(100, 50)).records) {
            const n = Number(text(r.headers!.get('n')));
            assert.ok(!seen.has(n), `record ${n} read twice`);
            seen.set(n, { split: s, key: r.key === null ? null : [...r.key], value: text(r.value) });
          }
    } finally {
      await Promise.all(readers.map((r) => r.close()));
    }
    assert.equal(seen.size, 60);
    for (const [i, r] of records.entries()) {
      const got = seen.get(i)!;
      assert.deepEqual(got.key, r.key === null ? null : [...r.key], `record ${i} key`);
      assert.equal(got.value, text(r.value), `record ${i} value`);
      if (r.key !== null) assert.equal(got.split, partitionForKey(r.key, 3), `record ${i} partition`);
    }
    const unkeyed = records.flatMap((r, i) => (r.key === null ? [seen.get(i)!.split] : []));
    assert.ok(new Set(unkeyed).size > 1, 'unkeyed records are spread round-robin');
  });
});
