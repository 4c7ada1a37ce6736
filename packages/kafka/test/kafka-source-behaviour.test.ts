import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { isEngineError, type SourceReader } from 'rivulet/connector';
import { kafkaSource } from '../src/kafka-source.ts';
import { produceBare, uniqueTopic } from './kafka-harness.ts';
import { type MockCluster, startMockCluster } from './mock-cluster.ts';

function seqOf(value: Uint8Array | null): number {
  return (JSON.parse(Buffer.from(value!).toString()) as { seq: number }).seq;
}

function records(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    key: `k${(from + i) % 5}`,
    value: JSON.stringify({ seq: from + i }),
  }));
}

/** Polls until `count` records came or the deadline passes; fails on any reader error. */
async function readSeqs(
  reader: SourceReader,
  count: number,
  ms = 20_000,
): Promise<{ seqs: number[]; position: string }> {
  const seqs: number[] = [];
  let position = '';
  const deadline = Date.now() + ms;
  while (seqs.length < count && Date.now() < deadline) {
    const batch = await reader.poll(100, 100);
    position = batch.position;
    for (const r of batch.records) seqs.push(seqOf(r.value));
  }
  return { seqs, position };
}

describe('kafka source', () => {
  let cluster: MockCluster;
  before(async () => {
    cluster = await startMockCluster();
  });
  after(async () => {
    await cluster.close();
  });

  test('bad options fail fast with INVALID_ARGUMENT naming the option', () => {
    const ok = { bootstrapServers: ['127.0.0.1:9092'], topic: 't' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...ok, bootstrapServers: [] }, 'bootstrapServers'],
      [{ ...ok, bootstrapServers: ['no-port'] }, 'bootstrapServers'],
      [{ ...ok, topic: 'bad topic' }, 'topic'],
      [{ ...ok, topic: '' }, 'topic'],
      [{ ...ok, startFrom: 'middle' }, 'startFrom'],
      [{ ...ok, maxBytes: 0 }, 'maxBytes'],
      [{ ...ok, maxFetchWaitMs: 1.5 }, 'maxFetchWaitMs'],
    ];
    for (const [options, option] of cases)
      assert.throws(
        () => kafkaSource(options as never),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
        `option ${option}: ${JSON.stringify(options)}`,
      );
  });

  test('a malformed position, or one outside the partition, is SOURCE_POSITION_INVALID', async () => {
    const topic = uniqueTopic('pos');
    await cluster.createTopic(topic, 1);
    await produceBare(cluster.bootstrapServers, topic, records(0, 10));
    const source = kafkaSource({ bootstrapServers: cluster.bootstrapServers, topic });
    for (const position of ['abc', '1.5', '-2', '', '01', ' 3', '99999999999999999999'])
      await assert.rejects(
        source.open('0', position),
        (error: unknown) => isEngineError(error, 'SOURCE_POSITION_INVALID'),
        `position '${position}'`,
      );
    // Offsets 0..9 exist: resuming after 9 is the end (fine), after 10 is past it (invalid).
    await assert.rejects(source.open('0', '10'), (error: unknown) =>
      isEngineError(error, 'SOURCE_POSITION_INVALID'),
    );
    const atEnd = await source.open('0', '9');
    assert.deepEqual((await atEnd.poll(10, 100)).records, []);
    await atEnd.close();
    const fromFive = await source.open('0', '4');
    const { seqs, position } = await readSeqs(fromFive, 5);
    assert.deepEqual(seqs, [5, 6, 7, 8, 9]);
    assert.equal(position, '9');
    await fromFive.close();
  });

  test('an unknown topic fails splits() with CONNECTOR_FAILED, not retryable', {
    skip: process.env.KAFKA_BOOTSTRAP
      ? false
      : 'the mock answers Metadata v2 only, which has no allow_auto_topic_creation: it creates any topic asked for',
  }, async () => {
    const bootstrapServers = process.env.KAFKA_BOOTSTRAP?.split(',') ?? cluster.bootstrapServers;
    const source = kafkaSource({ bootstrapServers, topic: uniqueTopic('missing') });
    await assert.rejects(
      source.splits(),
      (error: unknown) => isEngineError(error, 'CONNECTOR_FAILED') && !error.retryable,
    );
  });

  test('an unreachable broker is CONNECTOR_UNAVAILABLE (retryable)', async () => {
    const source = kafkaSource({ bootstrapServers: ['127.0.0.1:1'], topic: 't', requestTimeoutMs: 2_000 });
    await assert.rejects(
      source.splits(),
      (error: unknown) => isEngineError(error, 'CONNECTOR_UNAVAILABLE') && error.retryable,
    );
  });

  test('records keep key, timestamp and headers, plus rivulet.source.kafka-topic/partition/offset', async () => {
    const topic = uniqueTopic('prov');
    await cluster.createTopic(topic, 2);
    const producer = new Producer({ clientId: 't', bootstrapBrokers: cluster.bootstrapServers, acks: -1 });
    await producer.send({
      messages: [0, 1, 2].map((i) => ({
        topic,
        partition: 1,
        key: Buffer.from(`key-${i}`),
        value: Buffer.from(JSON.stringify({ seq: i })),
        timestamp: BigInt(1_700_000_000_000 + i),
        headers: new Map([[Buffer.from('trace'), Buffer.from(`t${i}`)]]),
      })),
    });
    await producer.close();
    const source = kafkaSource({ bootstrapServers: cluster.bootstrapServers, topic });
    assert.deepEqual(await source.splits(), ['0', '1']);
    const reader = await source.open('1', undefined);
    const got = [];
    const deadline = Date.now() + 10_000;
    while (got.length < 3 && Date.now() < deadline) got.push(...(await reader.poll(10, 100)).records);
    await reader.close();
    assert.equal(got.length, 3);
    got.forEach((r, i) => {
      assert.equal(Buffer.from(r.key!).toString(), `key-${i}`);
      assert.equal(seqOf(r.value), i);
      assert.equal(r.timestamp, 1_700_000_000_000 + i);
      const text = (name: string) => Buffer.from(r.headers!.get(name)!).toString();
      assert.equal(text('trace'), `t${i}`);
      assert.equal(text('rivulet.source.kafka-topic'), topic);
      assert.equal(text('rivulet.source.kafka-partition'), '1');
      assert.equal(text('rivulet.source.kafka-offset'), String(i));
    });
  });

  test("startFrom 'latest' skips what was there at open", async () => {
    const topic = uniqueTopic('latest');
    await cluster.createTopic(topic, 1);
    await produceBare(cluster.bootstrapServers, topic, records(0, 20));
    const reader = await kafkaSource({
      bootstrapServers: cluster.bootstrapServers,
      topic,
      startFrom: 'latest',
    }).open('0', undefined);
    assert.equal((await reader.poll(10, 100)).position, '19');
    await produceBare(cluster.bootstrapServers, topic, records(20, 5));
    const { seqs } = await readSeqs(reader, 5);
    await reader.close();
    assert.deepEqual(seqs, [20, 21, 22, 23, 24]);
  });

  test('broker down mid-stream: polls return empty batches meanwhile, then reading goes on, each record once', async () => {
    const topic = uniqueTopic('down');
    await cluster.createTopic(topic, 1);
    await produceBare(cluster.bootstrapServers, topic, records(0, 100));
    const reader = await kafkaSource({
      bootstrapServers: cluster.bootstrapServers,
      topic,
      maxBytes: 4096,
    }).open('0', undefined);
    try {
      const first = await readSeqs(reader, 30);
      assert.ok(first.seqs.length >= 30);
      await cluster.brokerDown(1);
      const during: number[] = [];
      const downUntil = Date.now() + 1_500;
      while (Date.now() < downUntil) {
        const batch = await reader.poll(100, 100);
        for (const r of batch.records) during.push(seqOf(r.value));
      }
      await cluster.brokerUp(1);
      await produceBare(cluster.bootstrapServers, topic, records(100, 50));
      const rest = await readSeqs(reader, 150 - first.seqs.length - during.length);
      const all = [...first.seqs, ...during, ...rest.seqs];
      assert.deepEqual(
        all,
        Array.from({ length: 150 }, (_, i) => i),
        'every record once, in order',
      );
      assert.equal(rest.position, '149');
    } finally {
      await cluster.brokerUp(1).catch(() => undefined);
      await reader.close();
    }
  });
});
