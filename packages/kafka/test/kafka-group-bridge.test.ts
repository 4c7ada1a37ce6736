/**
 * Round trips of the bridge's consumer-group translations (kafka-bridge/group-apis.ts) and its
 * ListOffsets repair against the mock cluster, through @platformatic/kafka's own group calls: each
 * value checked here is one this test chose, so a field mapped wrongly on either side fails.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Connection, Consumer, FindCoordinatorKeyTypes, findCoordinatorV4 } from '@platformatic/kafka';
import { producePerPartition, uniqueTopic } from './kafka-harness.ts';
import { type MockCluster, startMockCluster } from './mock-cluster.ts';

function groupConsumer(bootstrapServers: string[], groupId: string) {
  return new Consumer({
    clientId: 'rivulet-test',
    groupId,
    bootstrapBrokers: bootstrapServers,
    // The mock completes a rebalance only after this timeout (3 s for an empty group's first join).
    sessionTimeout: 3_000,
    rebalanceTimeout: 3_000,
    heartbeatInterval: 200,
    retries: 0,
  });
}

describe('kafka bridge: consumer-group APIs against the mock', () => {
  let cluster: MockCluster;
  before(async () => {
    cluster = await startMockCluster({ brokers: 2 });
  });
  after(async () => {
    await cluster.close();
  });

  test('FindCoordinator v4 -> v2 answers for the key sent, naming a bridge listener', async () => {
    const groupId = uniqueTopic('g');
    const [host, port] = cluster.bootstrapServers[0]!.split(':');
    const connection = new Connection('rivulet-test');
    await connection.connect(host!, Number(port));
    try {
      const response = await findCoordinatorV4.api.async(connection, FindCoordinatorKeyTypes.GROUP, [
        groupId,
      ]);
      assert.equal(response.coordinators.length, 1);
      const [coordinator] = response.coordinators;
      assert.equal(coordinator!.key, groupId);
      assert.equal(coordinator!.errorCode, 0);
      assert.ok(coordinator!.nodeId === 1 || coordinator!.nodeId === 2, `node ${coordinator!.nodeId}`);
      // Broker n is served by the bridge's n-th listener, not by the mock's own port.
      assert.equal(
        `${coordinator!.host}:${coordinator!.port}`,
        cluster.bootstrapServers[coordinator!.nodeId - 1],
      );
    } finally {
      await connection.close();
    }
    // The client's own coordinator lookup agrees and OffsetFetch reaches it.
    const consumer = groupConsumer(cluster.bootstrapServers, groupId);
    try {
      assert.ok([1, 2].includes(await consumer.findGroupCoordinator()));
      const topic = uniqueTopic('fc');
      await cluster.createTopic(topic, 1);
      const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: [0] }] });
      assert.deepEqual(committed.get(topic), [-1n]);
    } finally {
      await consumer.close();
    }
  });

  test('ListOffsets v5 with several partitions answers each partition (mock layout repaired)', async () => {
    const topic = uniqueTopic('lo');
    await cluster.createTopic(topic, 4);
    await producePerPartition(cluster.bootstrapServers, topic, [3, 5, 7, 9]);
    const consumer = groupConsumer(cluster.bootstrapServers, uniqueTopic('g'));
    try {
      const latest = await consumer.listOffsets({ topics: [topic] });
      assert.deepEqual(latest.get(topic), [3n, 5n, 7n, 9n]);
    } finally {
      await consumer.close();
    }
  });

  test('OffsetCommit v8 -> v7 and OffsetFetch v8 -> v5 carry each partition offset', async () => {
    const topic = uniqueTopic('oc');
    await cluster.createTopic(topic, 4);
    await producePerPartition(cluster.bootstrapServers, topic, [10, 10, 10, 10]);
    const groupId = uniqueTopic('g');
    const committer = groupConsumer(cluster.bootstrapServers, groupId);
    // A commit outside any generation (Kafka's "simple consumer" commit: generation -1, no member id).
    committer.generationId = -1;
    committer.memberId = '';
    try {
      await committer.commit({
        offsets: [5n, 6n, 7n, 8n].map((offset, partition) => ({ topic, partition, offset, leaderEpoch: -1 })),
      });
    } finally {
      await committer.close();
    }
    const reader = groupConsumer(cluster.bootstrapServers, groupId);
    try {
      const committed = await reader.listCommittedOffsets({ topics: [{ topic, partitions: [0, 1, 2, 3] }] });
      assert.deepEqual(committed.get(topic), [5n, 6n, 7n, 8n]);
    } finally {
      await reader.close();
    }
  });

  test('JoinGroup v6/SyncGroup v4/Heartbeat v4/LeaveGroup v4: join, heartbeat, commit as member, leave, next member takes all', async () => {
    const topic = uniqueTopic('jg');
    await cluster.createTopic(topic, 4);
    const groupId = uniqueTopic('g');
    const first = groupConsumer(cluster.bootstrapServers, groupId);
    const heartbeats: number[] = [];
    first.on('consumer:heartbeat:end', () => heartbeats.push(Date.now()));
    const stream = await first.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const firstGeneration = first.generationId;
    try {
      assert.ok(first.memberId, 'member id assigned');
      assert.ok(firstGeneration > 0, `generation ${firstGeneration}`);
      assert.deepEqual(first.assignments, [{ topic, partitions: [0, 1, 2, 3] }]);
      const deadline = Date.now() + 10_000;
      while (heartbeats.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(heartbeats.length >= 2, 'heartbeats answered without error');
    } finally {
      await stream.close();
    }
    // A commit in the first member's name is accepted while it is a member...
    const impostor = groupConsumer(cluster.bootstrapServers, groupId);
    impostor.memberId = first.memberId;
    impostor.generationId = firstGeneration;
    const offsets = [{ topic, partition: 0, offset: 0n, leaderEpoch: -1 }];
    try {
      await impostor.commit({ offsets });
      let left = false;
      first.on('consumer:group:leave', () => {
        left = true;
      });
      await first.leaveGroup();
      assert.equal(left, true);
      // ...and refused once LeaveGroup has removed it from the mock's group.
      await assert.rejects(
        impostor.commit({ offsets }),
        (error: Error & { findBy?: (key: string, value: unknown) => unknown }) =>
          Boolean(error.findBy?.('apiId', 'UNKNOWN_MEMBER_ID')),
      );
    } finally {
      await impostor.close();
      await first.close();
    }

    const second = groupConsumer(cluster.bootstrapServers, groupId);
    const stream2 = await second.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    try {
      assert.ok(second.generationId > firstGeneration);
      assert.deepEqual(second.assignments, [{ topic, partitions: [0, 1, 2, 3] }]);
    } finally {
      await stream2.close();
      await second.close();
    }
  });
});
