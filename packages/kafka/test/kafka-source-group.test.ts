/**
 * kafkaSource's `groupId`: reader commits publish position + 1 to the consumer group (read back with
 * OffsetFetch by another client), only forward, only with the option, and a group that consumers have
 * joined refuses them loudly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Consumer } from '@platformatic/kafka';
import { isEngineError, type SourceReader } from 'rivulet/connector';
import { kafkaSource } from '../src/kafka-source.ts';
import { producePerPartition, uniqueTopic } from './kafka-harness.ts';
import { type MockCluster, startMockCluster } from './mock-cluster.ts';

async function committedOffsets(
  bootstrapServers: string[],
  groupId: string,
  topic: string,
  partitions: number,
) {
  const consumer = new Consumer({ clientId: 'rivulet-test', groupId, bootstrapBrokers: bootstrapServers });
  try {
    const offsets = await consumer.listCommittedOffsets({
      topics: [{ topic, partitions: Array.from({ length: partitions }, (_, i) => i) }],
    });
    return offsets.get(topic);
  } finally {
    await consumer.close();
  }
}

/** Polls until `count` records were returned; the position of the last one. */
async function readAll(reader: SourceReader, count: number): Promise<string> {
  let seen = 0;
  let position = '';
  const deadline = Date.now() + 20_000;
  while (seen < count && Date.now() < deadline) {
    const batch = await reader.poll(100, 100);
    seen += batch.records.length;
    position = batch.position;
  }
  assert.equal(seen, count);
  return position;
}

describe('kafka source groupId', () => {
  let cluster: MockCluster;
  before(async () => {
    cluster = await startMockCluster();
  });
  after(async () => {
    await cluster.close();
  });

  test('groupId must be a non-empty string', () => {
    for (const groupId of ['', 5])
      assert.throws(
        () => kafkaSource({ bootstrapServers: ['127.0.0.1:9092'], topic: 't', groupId: groupId as never }),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === 'groupId',
      );
  });

  test('commit(position) commits position + 1 for its partition, never backwards', async () => {
    const topic = uniqueTopic('sg');
    const groupId = uniqueTopic('lag');
    await cluster.createTopic(topic, 2);
    await producePerPartition(cluster.bootstrapServers, topic, [10, 3]);
    const source = kafkaSource({ bootstrapServers: cluster.bootstrapServers, topic, groupId });
    const reader0 = await source.open('0', undefined);
    const reader1 = await source.open('1', '0');
    try {
      assert.equal(await readAll(reader0, 10), '9');
      assert.equal(await readAll(reader1, 2), '2');
      assert.deepEqual(await committedOffsets(cluster.bootstrapServers, groupId, topic, 2), [-1n, -1n]);
      await reader0.commit('4');
      assert.deepEqual(await committedOffsets(cluster.bootstrapServers, groupId, topic, 2), [5n, -1n]);
      await reader0.commit('9');
      await reader1.commit('2');
      assert.deepEqual(await committedOffsets(cluster.bootstrapServers, groupId, topic, 2), [10n, 3n]);
      await reader0.commit('4'); // an older position (a replayed commit) does not move it back
      assert.deepEqual(await committedOffsets(cluster.bootstrapServers, groupId, topic, 2), [10n, 3n]);
    } finally {
      await reader0.close();
      await reader1.close();
    }
  });

  test('without groupId, commit sends nothing', async () => {
    const topic = uniqueTopic('sn');
    const clientId = uniqueTopic('client');
    await cluster.createTopic(topic, 1);
    await producePerPartition(cluster.bootstrapServers, topic, [3]);
    const reader = await kafkaSource({ bootstrapServers: cluster.bootstrapServers, topic, clientId }).open(
      '0',
      undefined,
    );
    try {
      await reader.commit(await readAll(reader, 3));
    } finally {
      await reader.close();
    }
    // The client's placeholder group is the only one it could have committed to.
    assert.deepEqual(await committedOffsets(cluster.bootstrapServers, `${clientId}-standalone`, topic, 1), [
      -1n,
    ]);
  });

  test('a group with an active member refuses the commit: CONNECTOR_FAILED, not retryable', async () => {
    const topic = uniqueTopic('sa');
    const groupId = uniqueTopic('busy');
    await cluster.createTopic(topic, 1);
    await producePerPartition(cluster.bootstrapServers, topic, [2]);
    const member = new Consumer({
      clientId: 'rivulet-test',
      groupId,
      bootstrapBrokers: cluster.bootstrapServers,
      sessionTimeout: 3_000,
      rebalanceTimeout: 3_000,
      heartbeatInterval: 200,
    });
    const stream = await member.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const reader = await kafkaSource({ bootstrapServers: cluster.bootstrapServers, topic, groupId }).open(
      '0',
      undefined,
    );
    try {
      const position = await readAll(reader, 2);
      await assert.rejects(
        reader.commit(position),
        (error: unknown) =>
          isEngineError(error, 'CONNECTOR_FAILED') &&
          !error.retryable &&
          error.details.groupId === groupId &&
          error.details.kafkaError === 'UNKNOWN_MEMBER_ID',
      );
    } finally {
      await reader.close();
      await stream.close();
      await member.close();
    }
  });
});
