import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isEngineError, partitionForKey, type SinkRecord } from 'rivulet/connector';
import { kafkaSink } from '../src/kafka-sink.ts';
import { readTopic, uniqueTopic } from './kafka-harness.ts';
import { type MockCluster, startMockCluster } from './mock-cluster.ts';

const context = { pipeline: 'p', name: 'out', partitions: 2 };

function sinkRecords(from: number, count: number, keyed = true): SinkRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    return {
      key: keyed ? Buffer.from(`k${seq % 13}`) : null,
      value: Buffer.from(JSON.stringify({ seq })),
      timestamp: 1_700_000_000_000 + seq,
      headers: new Map([['seq', Buffer.from(String(seq))]]),
      partition: seq % 2,
      offset: Math.floor(seq / 2),
      id: `p/out/${seq % 2}/${Math.floor(seq / 2)}`,
    };
  });
}

describe('kafka sink', () => {
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
      [{ ...ok, bootstrapServers: 'host:1' }, 'bootstrapServers'],
      [{ ...ok, topic: 'a/b' }, 'topic'],
      [{ ...ok, acks: 0 }, 'acks'],
      [{ ...ok, acks: 1 }, 'acks'], // idempotent needs acks -1
      [{ ...ok, maxValueBytes: -1 }, 'maxValueBytes'],
      [{ ...ok, batchRecords: 0 }, 'batchRecords'],
    ];
    for (const [options, option] of cases)
      assert.throws(
        () => kafkaSink(options as never),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
        `option ${option}: ${JSON.stringify(options)}`,
      );
    assert.doesNotThrow(() => kafkaSink({ ...ok, idempotent: false, acks: 1 }));
  });

  test('partition = murmur2(key) % partitions, keyless by outbox partition; headers, rivulet-id, timestamp; idempotent producer', async () => {
    const topic = uniqueTopic('sinkp');
    await cluster.createTopic(topic, 5);
    const writer = await kafkaSink({
      bootstrapServers: cluster.bootstrapServers,
      topic,
      batchRecords: 64,
    }).open(context);
    const keyed = sinkRecords(0, 300);
    const keyless = sinkRecords(300, 20, false);
    await writer.write(keyed);
    await writer.write(keyless);
    await writer.commit(
      new Map([
        [0, 160],
        [1, 160],
      ]),
    );
    await writer.close();
    const stored = await readTopic(cluster.bootstrapServers, topic);
    assert.equal(stored.length, 320);
    const bySeq = new Map(stored.map((r) => [(JSON.parse(r.value!.toString()) as { seq: number }).seq, r]));
    for (const record of [...keyed, ...keyless]) {
      const seq = (JSON.parse(Buffer.from(record.value!).toString()) as { seq: number }).seq;
      const got = bySeq.get(seq)!;
      assert.ok(got, `record ${seq} stored`);
      const want = record.key === null ? record.partition % 5 : partitionForKey(record.key, 5);
      assert.equal(got.partition, want, `record ${seq} partition`);
      assert.equal(
        got.key?.toString() ?? null,
        record.key === null ? null : Buffer.from(record.key).toString(),
      );
      assert.equal(got.headers.get('rivulet-id')?.toString(), record.id);
      assert.equal(got.headers.get('seq')?.toString(), String(seq));
      assert.equal(got.timestamp, BigInt(record.timestamp));
      assert.ok(got.producerId >= 0n, 'written by an idempotent producer (a producer id is set)');
    }
    // Per key, Kafka holds the records in the order written.
    const lastByKey = new Map<string, number>();
    for (const r of stored) {
      if (r.key === null) continue;
      const seq = (JSON.parse(r.value!.toString()) as { seq: number }).seq;
      const key = r.key.toString();
      assert.ok((lastByKey.get(key) ?? -1) < seq, `key ${key}: ${seq} after ${lastByKey.get(key)}`);
      lastByKey.set(key, seq);
    }
  });

  test('broker down while writing: commit and open fail retryably; reopened after it is up and replayed, nothing is lost', async () => {
    const topic = uniqueTopic('sinkdown');
    await cluster.createTopic(topic, 3);
    const sink = kafkaSink({ bootstrapServers: cluster.bootstrapServers, topic, requestTimeoutMs: 2_000 });
    let writer = await sink.open(context);
    const before = sinkRecords(0, 100);
    const after = sinkRecords(100, 100);
    await writer.write(before);
    await writer.commit(
      new Map([
        [0, 50],
        [1, 50],
      ]),
    );
    await cluster.brokerDown(1);
    let failed: unknown;
    try {
      await writer.write(after);
      await writer.commit(
        new Map([
          [0, 100],
          [1, 100],
        ]),
      );
    } catch (error) {
      failed = error;
    }
    assert.ok(failed !== undefined, 'a commit cannot succeed while the only broker is down');
    assert.ok(isEngineError(failed) && failed.retryable, `a retryable EngineError: ${String(failed)}`);
    await writer.close();
    await assert.rejects(sink.open(context), (error: unknown) => isEngineError(error) && error.retryable);
    await cluster.brokerUp(1);
    writer = await sink.open(context);
    await writer.write(after); // the engine's replay from the last commit
    await writer.commit(
      new Map([
        [0, 100],
        [1, 100],
      ]),
    );
    await writer.close();
    const seqs = (await readTopic(cluster.bootstrapServers, topic)).map(
      (r) => (JSON.parse(r.value!.toString()) as { seq: number }).seq,
    );
    assert.deepEqual(
      [...new Set(seqs)].sort((a, b) => a - b),
      Array.from({ length: 200 }, (_, i) => i),
    );
  });
});
