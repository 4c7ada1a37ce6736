/**
 * Consumer groups and rebalance across two processes, on the mock cluster through the bridge: two
 * child processes (kafka-group-member.ts, @platformatic/kafka's group consumer) split a 4-partition
 * topic; one is SIGKILLed; the survivor takes all 4 partitions over from the group's committed
 * offsets and every produced record is consumed at least once. Values are what this test produced
 * ("<partition>:<index>"); the children's reports are only compared with them.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { producePerPartition, uniqueTopic } from './kafka-harness.ts';
import { type MockCluster, startMockCluster } from './mock-cluster.ts';

const memberScript = join(dirname(fileURLToPath(import.meta.url)), 'kafka-group-member.ts');
const PARTITIONS = 4;
const PER_PHASE = 10;

type Report =
  | { event: 'assigned'; generation: number; partitions: number[] }
  | { event: 'record'; partition: number; offset: string; value: string }
  | { event: 'committed'; partition: number; offset: string }
  | { event: 'error' | 'fatal'; message: string };

interface Member {
  readonly name: string;
  readonly child: ChildProcess;
  readonly reports: Report[];
  stderr: string;
  exited: boolean;
}

function startMember(name: string, bootstrapServers: string[], topic: string, groupId: string): Member {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', memberScript, bootstrapServers.join(','), topic, groupId],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const member: Member = { name, child, reports: [], stderr: '', exited: false };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    member.reports.push(JSON.parse(line) as Report);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    member.stderr += chunk.toString();
  });
  child.once('exit', () => {
    member.exited = true;
  });
  return member;
}

function lastAssignment(member: Member): { generation: number; partitions: number[] } | undefined {
  for (let i = member.reports.length - 1; i >= 0; i--) {
    const r = member.reports[i]!;
    if (r.event === 'assigned') return r;
  }
  return undefined;
}

function records(member: Member) {
  return member.reports.filter((r): r is Extract<Report, { event: 'record' }> => r.event === 'record');
}

/** The next offset the member last reported committed, per partition. */
function committed(member: Member): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const r of member.reports) if (r.event === 'committed') out.set(r.partition, BigInt(r.offset));
  return out;
}

function describeMembers(members: Member[]): string {
  return members
    .map(
      (m) =>
        `${m.name}: ${JSON.stringify(m.reports.filter((r) => r.event !== 'record' && r.event !== 'committed'))} ` +
        `${records(m).length} records${m.stderr ? `; stderr: ${m.stderr.slice(-2000)}` : ''}`,
    )
    .join('\n');
}

/** Polls `check` every 50 ms until it holds; fails with `what` and the members' reports at the deadline. */
async function waitUntil(
  what: string | (() => string),
  members: Member[],
  check: () => boolean,
  ms = 30_000,
) {
  const deadline = Date.now() + ms;
  while (!check()) {
    for (const m of members)
      if (m.reports.some((r) => r.event === 'fatal'))
        assert.fail(`${m.name} failed\n${describeMembers(members)}`);
    if (Date.now() > deadline)
      assert.fail(
        `timed out waiting for ${typeof what === 'string' ? what : what()}\n${describeMembers(members)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function produced(from: number, count: number): string[] {
  return Array.from({ length: PARTITIONS }, (_, p) =>
    Array.from({ length: count }, (_, i) => `${p}:${from + i}`),
  ).flat();
}

describe('kafka consumer group across two processes', () => {
  let cluster: MockCluster;
  const members: Member[] = [];
  before(async () => {
    cluster = await startMockCluster();
  });
  after(async () => {
    for (const m of members)
      if (!m.exited && m.child.pid !== undefined) {
        const gone = new Promise((resolve) => m.child.once('exit', resolve));
        process.kill(m.child.pid, 'SIGKILL');
        await gone;
      }
    await cluster.close();
  });

  test('partitions split between two members; after one is SIGKILLed the survivor takes all 4 from the committed offsets', async () => {
    const topic = uniqueTopic('grp');
    const groupId = uniqueTopic('group');
    await cluster.createTopic(topic, PARTITIONS);
    const a = startMember('A', cluster.bootstrapServers, topic, groupId);
    const b = startMember('B', cluster.bootstrapServers, topic, groupId);
    members.push(a, b);

    // 1. Both members hold partitions of the same generation: disjoint, together all 4.
    await waitUntil('a generation with both members', members, () => {
      const [ja, jb] = [lastAssignment(a), lastAssignment(b)];
      return (
        ja !== undefined &&
        jb !== undefined &&
        ja.generation === jb.generation &&
        ja.partitions.length > 0 &&
        jb.partitions.length > 0
      );
    });
    const split = { a: lastAssignment(a)!, b: lastAssignment(b)! };
    assert.deepEqual(
      [...split.a.partitions, ...split.b.partitions].sort((x, y) => x - y),
      [0, 1, 2, 3],
      'each partition assigned exactly once',
    );

    // 2. Records produced now go to their partition's owner, which commits them.
    await producePerPartition(cluster.bootstrapServers, topic, Array(PARTITIONS).fill(PER_PHASE));
    await waitUntil('both members committed the first records', members, () => {
      const [ca, cb] = [committed(a), committed(b)];
      return (
        split.a.partitions.every((p) => ca.get(p) === BigInt(PER_PHASE)) &&
        split.b.partitions.every((p) => cb.get(p) === BigInt(PER_PHASE))
      );
    });
    for (const [member, own] of [
      [a, split.a.partitions],
      [b, split.b.partitions],
    ] as const)
      for (const r of records(member))
        assert.ok(own.includes(r.partition), `${member.name} read partition ${r.partition} it does not own`);

    // 3. B dies without leaving the group; more records arrive meanwhile.
    process.kill(b.child.pid!, 'SIGKILL');
    await waitUntil('B exited', members, () => b.exited);
    await producePerPartition(cluster.bootstrapServers, topic, Array(PARTITIONS).fill(PER_PHASE), PER_PHASE);
    const valuesProduced = produced(0, 2 * PER_PHASE);

    // 4. The group notices (session timeout), A rejoins and is assigned everything.
    await waitUntil('A assigned all 4 partitions in a later generation', [a], () => {
      const ja = lastAssignment(a);
      return ja !== undefined && ja.generation > split.a.generation && ja.partitions.length === PARTITIONS;
    });
    assert.deepEqual(lastAssignment(a)!.partitions, [0, 1, 2, 3]);
    const consumed = () => new Set([...records(a), ...records(b)].map((r) => r.value));
    await waitUntil(
      () => `every produced record consumed; missing ${valuesProduced.filter((v) => !consumed().has(v))}`,
      [a],
      () => valuesProduced.every((v) => consumed().has(v)),
    );

    // 5. At least once, and A resumed B's partitions at B's committed offsets (it did not re-read from
    //    the earliest offset): on those, A read exactly the second batch.
    const missing = valuesProduced.filter((v) => !consumed().has(v));
    assert.deepEqual(missing, []);
    for (const p of split.b.partitions) {
      const offsets = records(a)
        .filter((r) => r.partition === p)
        .map((r) => Number(r.offset));
      assert.deepEqual(
        offsets,
        Array.from({ length: PER_PHASE }, (_, i) => PER_PHASE + i),
        `A's offsets on partition ${p}, taken over from B`,
      );
    }
    assert.equal(
      a.reports.some((r) => r.event === 'fatal'),
      false,
    );
  });
});
