/**
 * Crashes inside multi-step persistence operations, driven by failpoints. For each failpoint a child
 * (fixtures/failpoint-child.ts) builds a known state, arms `<name>:kill[@n]` and runs one operation (an
 * append, a segment roll, retention, a compaction swap, a multi-partition offset commit, a topic create);
 * the failpoint SIGKILLs it mid-way. The parent computes the state before and after the operation with a
 * plain reference model (an array per partition; retention drops whole expired segments; compaction keeps
 * the latest record per key by a loop), reopens the directory and asserts:
 * - the log is exactly the state before or exactly the state after, never a mix (per scenario, which of
 *   the two is allowed: e.g. after a completed fdatasync only "after"); if the child reported the
 *   operation finished before it died, only "after";
 * - an interrupted retention or compaction completes when maintenance runs again;
 * - every partition still accepts appends at its high watermark, commits still work, a created-again
 *   topic works; verifyLog finds no problem, and a second reopen shows the appended records;
 * - retention still reaches every sealed segment (a segment whose seal the crash interrupted included).
 * `RIVULET_SEED` replays the random contents.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { createLog, verifyLog } from '../../src/log/index.ts';
import { ManualClock } from '../../src/model/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';
import { FixtureProcess, fixturePath } from './fixture-process.ts';
import type { FailpointChildMessage, RunCommand, Step, StepRecord } from './fixtures/failpoint-child.ts';
import { describeView, LogModel, logView, modelView } from './log-model.ts';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Outcome = 'before' | 'after';

interface Scenario {
  name: string;
  /** `name:kill[@n]`. */
  failpoint: string;
  /** Arm through RIVULET_FAILPOINTS at process start instead of after setup. */
  viaEnv?: boolean;
  setup: Step[];
  operation: Step[];
  allowed: readonly Outcome[];
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

function text(random: SeededRandom, min: number, max: number): string {
  const length = random.between(min, max);
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(97 + random.int(26));
  return out;
}

function sendTo(topic: string, partition: number, records: Array<Omit<StepRecord, 'partition'>>): Step {
  return { op: 'send', topic, records: records.map((r) => ({ ...r, partition })) };
}

function plainRecords(
  random: SeededRandom,
  tag: string,
  count: number,
  timestamp: number,
): Array<Omit<StepRecord, 'partition'>> {
  return Array.from({ length: count }, (_, i) => ({
    key: `${tag}-${i}`,
    value: text(random, 10, 80),
    timestamp: timestamp + i,
  }));
}

function appendScenario(random: SeededRandom, point: string, allowed: readonly Outcome[]): Scenario {
  const setup: Step[] = [{ op: 'createTopic', topic: 'events', options: { partitions: 3 } }];
  for (let s = 0; s < 6; s++) {
    setup.push(
      sendTo(
        'events',
        random.int(3),
        plainRecords(random, `setup${s}`, random.between(1, 30), T0 + s * 1000),
      ),
    );
  }
  const operation = [
    sendTo('events', random.int(3), plainRecords(random, 'op', random.between(1, 50), T0 + HOUR)),
  ];
  return { name: `append: ${point}`, failpoint: point, setup, operation, allowed };
}

function rollScenario(random: SeededRandom, point: string, allowed: readonly Outcome[]): Scenario {
  // The setup leaves the active segment past segmentBytes, so the operation's append rolls first.
  const setup: Step[] = [
    {
      op: 'createTopic',
      topic: 'rolling',
      options: { partitions: 1, segmentBytes: 1024, retention: { time: '1h' } },
    },
    sendTo('rolling', 0, plainRecords(random, 'first', 40, T0)),
  ];
  const operation = [sendTo('rolling', 0, plainRecords(random, 'op', random.between(1, 10), T0 + MINUTE))];
  return { name: `segment roll: ${point}`, failpoint: point, setup, operation, allowed };
}

function retentionScenario(random: SeededRandom, point: string, allowed: readonly Outcome[]): Scenario {
  const setup: Step[] = [
    { op: 'createTopic', topic: 'retained', options: { partitions: 1, retention: { time: '1h' } } },
  ];
  // Four expired segments (newest record 3h..2h30 old), one recent one, and a non-empty active segment.
  for (let s = 0; s < 4; s++) {
    setup.push(
      sendTo(
        'retained',
        0,
        plainRecords(random, `old${s}`, random.between(3, 15), T0 - 3 * HOUR + s * 10 * MINUTE),
      ),
    );
    setup.push({ op: 'roll', topic: 'retained', partition: 0 });
  }
  setup.push(sendTo('retained', 0, plainRecords(random, 'recent', random.between(3, 15), T0 - 10 * MINUTE)));
  setup.push({ op: 'roll', topic: 'retained', partition: 0 });
  setup.push(sendTo('retained', 0, plainRecords(random, 'active', random.between(1, 5), T0)));
  const operation: Step[] = [{ op: 'setClock', ms: T0 }, { op: 'maintenance' }];
  return { name: `retention: ${point}`, failpoint: point, setup, operation, allowed };
}

function compactionScenario(random: SeededRandom, point: string, allowed: readonly Outcome[]): Scenario {
  // 1200 keys written once, then 500 updates and tombstones; the cleaned output passes 1000 records, so the
  // swap creates two segments and deletes the other ~15 source segments.
  const setup: Step[] = [
    {
      op: 'createTopic',
      topic: 'compacted',
      options: { partitions: 1, cleanup: 'compact', segmentBytes: 1024, tombstoneRetention: '1h' },
    },
  ];
  const keys = Array.from({ length: 1200 }, (_, i) => `k${String(i).padStart(4, '0')}`);
  const writes: Array<Omit<StepRecord, 'partition'>> = keys.map((key, i) => ({
    key,
    value: text(random, 5, 30),
    timestamp: T0 - 3 * HOUR + i,
  }));
  for (let i = 0; i < 500; i++) {
    const recent = i >= 400;
    writes.push({
      key: random.pick(keys),
      value: random.chance(0.2) ? null : text(random, 5, 30),
      // Old tombstones are dropped by this compaction, recent ones kept.
      timestamp: recent ? T0 - 10 * MINUTE + i : T0 - 2 * HOUR + i,
    });
  }
  for (let i = 0; i < writes.length; i += 100) setup.push(sendTo('compacted', 0, writes.slice(i, i + 100)));
  setup.push({ op: 'roll', topic: 'compacted', partition: 0 });
  const operation: Step[] = [{ op: 'setClock', ms: T0 }, { op: 'maintenance' }];
  return { name: `compaction: ${point}`, failpoint: point, setup, operation, allowed };
}

function offsetCommitScenario(random: SeededRandom, point: string, allowed: readonly Outcome[]): Scenario {
  const partitions: Array<{ topic: string; partition: number }> = [
    { topic: 'orders', partition: 0 },
    { topic: 'orders', partition: 1 },
    { topic: 'orders', partition: 2 },
    { topic: 'payments', partition: 0 },
    { topic: 'payments', partition: 1 },
  ];
  const setup: Step[] = [
    { op: 'createTopic', topic: 'orders', options: { partitions: 3 } },
    { op: 'createTopic', topic: 'payments', options: { partitions: 2 } },
    sendTo('orders', 1, plainRecords(random, 'order', 5, T0)),
    {
      op: 'commit',
      group: 'billing',
      offsets: partitions.map((p) => ({ ...p, offset: random.between(0, 1000) })),
    },
    { op: 'commit', group: 'audit', offsets: [{ topic: 'orders', partition: 1, offset: 3 }] },
  ];
  const operation: Step[] = [
    {
      op: 'commit',
      group: 'billing',
      offsets: partitions.map((p) => ({ ...p, offset: random.between(1001, 2000) })),
    },
  ];
  return { name: `offset commit of 5 partitions: ${point}`, failpoint: point, setup, operation, allowed };
}

function topicCreateScenario(random: SeededRandom, point: string): Scenario {
  const setup: Step[] = [
    { op: 'createTopic', topic: 'existing', options: { partitions: 2 } },
    sendTo('existing', 1, plainRecords(random, 'existing', 7, T0)),
  ];
  const operation: Step[] = [{ op: 'createTopic', topic: 'fresh', options: { partitions: 3 } }];
  return { name: `topic create: ${point}`, failpoint: point, setup, operation, allowed: ['before'] };
}

function scenarios(random: SeededRandom): Scenario[] {
  const before: Outcome[] = ['before'];
  const after: Outcome[] = ['after'];
  const either: Outcome[] = ['before', 'after'];
  return [
    appendScenario(random, 'log.append.before-write:kill', before),
    appendScenario(random, 'log.append.after-write:kill', either),
    appendScenario(random, 'log.append.after-sync:kill', after),
    rollScenario(random, 'log.roll.before-create:kill', before),
    rollScenario(random, 'log.roll.before-seal:kill', either),
    rollScenario(random, 'log.roll.index.before-rename:kill', either),
    rollScenario(random, 'log.roll.index.after-rename:kill', either),
    retentionScenario(random, 'log.retention.start-offset.before-rename:kill', before),
    retentionScenario(random, 'log.retention.start-offset.after-rename:kill', after),
    retentionScenario(random, 'log.retention.after-delete:kill', after),
    retentionScenario(random, 'log.retention.after-delete:kill@3', after),
    compactionScenario(random, 'log.compaction.before-manifest:kill', before),
    compactionScenario(random, 'log.compaction.manifest.before-rename:kill', before),
    compactionScenario(random, 'log.compaction.manifest.after-rename:kill', after),
    compactionScenario(random, 'log.compaction.after-delete:kill', after),
    compactionScenario(random, 'log.compaction.after-delete:kill@7', after),
    compactionScenario(random, 'log.compaction.after-rename:kill', after),
    compactionScenario(random, 'log.compaction.after-rename:kill@4', after),
    compactionScenario(random, 'log.compaction.after-rename:kill@6', after),
    offsetCommitScenario(random, 'log.offset-commit.before-append:kill', before),
    offsetCommitScenario(random, 'log.append.before-write:kill', before),
    offsetCommitScenario(random, 'log.append.after-write:kill', either),
    offsetCommitScenario(random, 'log.append.after-sync:kill', after),
    offsetCommitScenario(random, 'log.offset-commit.after-append:kill', after),
    topicCreateScenario(random, 'log.topic.create.before-rename:kill'),
    {
      // Dies while the first open creates the internal offsets topic.
      name: 'first open: log.topic.create.before-rename via RIVULET_FAILPOINTS',
      failpoint: 'log.topic.create.before-rename:kill',
      viaEnv: true,
      setup: [],
      operation: [],
      allowed: either,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------
// Running one scenario

interface ScenarioResult {
  /** `unchanged` when the operation has no visible effect (the state before equals the state after). */
  outcome: Outcome | 'unchanged';
}

async function runScenario(scenario: Scenario, seed: number): Promise<ScenarioResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-failpoint-'));
  const context = `${scenario.name} (seed ${seed})`;
  try {
    const before = new LogModel(T0);
    for (const step of scenario.setup) before.apply(step);
    const after = before.clone();
    for (const step of scenario.operation) after.apply(step);

    const child = FixtureProcess.node<FailpointChildMessage>(fixturePath('failpoint-child.ts'), [], {
      env: { RIVULET_FAILPOINTS: scenario.viaEnv === true ? scenario.failpoint : '' },
    });
    const command: RunCommand = {
      type: 'run',
      dataDir,
      clockStart: T0,
      setup: scenario.setup,
      arm: scenario.viaEnv === true ? '' : scenario.failpoint,
      operation: scenario.operation,
    };
    child.send(command);
    const exit = await child.closed;
    const failed = child.received.find((m) => m.type === 'failed');
    assert.equal(failed, undefined, `${context}: the child failed\n${child.describe()}`);
    assert.ok(
      !child.received.some((m) => m.type === 'completed'),
      `${context}: the operation completed, failpoint ${scenario.failpoint} was never reached`,
    );
    assert.equal(exit.signal, 'SIGKILL', `${context}: the child was not killed\n${child.describe()}`);
    if (scenario.viaEnv !== true) {
      assert.ok(
        child.received.some((m) => m.type === 'setup-done'),
        `${context}: died before the setup was done`,
      );
    }
    const stepsDone = child.received.filter((m) => m.type === 'step-done').length;
    const operationFinished = scenario.operation.length > 0 && stepsDone === scenario.operation.length;

    const topics = [...new Set([...before.topics.keys(), ...after.topics.keys()])].sort();
    const offsetKeys = [...new Set([...before.offsets.keys(), ...after.offsets.keys()])].sort();
    const clock = new ManualClock(T0);
    let log = await createLog({ dataDir, maintenanceInterval: false, clock });
    let outcome: Outcome | 'unchanged';
    const appended: Array<{ topic: string; partition: number; offset: number; key: string }> = [];
    const recommitted: Array<{ group: string; topic: string; partition: number; offset: number }> = [];
    try {
      const actual = await logView(log, topics, offsetKeys);
      const beforeView = modelView(before, topics, offsetKeys);
      const afterView = modelView(after, topics, offsetKeys);
      const isBefore = isDeepStrictEqual(actual, beforeView);
      const isAfter = isDeepStrictEqual(actual, afterView);
      assert.ok(
        isBefore || isAfter,
        `${context}: the reopened log is neither the state before nor the state after the operation\n` +
          `  actual: ${describeView(actual)}\n  before: ${describeView(beforeView)}\n  after:  ${describeView(afterView)}`,
      );
      outcome = isBefore && isAfter ? 'unchanged' : isAfter ? 'after' : 'before';
      const allowed: readonly Outcome[] = operationFinished ? ['after'] : scenario.allowed;
      if (outcome !== 'unchanged') {
        assert.ok(
          allowed.includes(outcome),
          `${context}: state ${outcome}, allowed ${allowed.join('/')}${operationFinished ? ' (the operation had finished)' : ''}`,
        );
      }
      assert.deepEqual(
        readdirSync(join(dataDir, 'topics')).filter((entry) => entry.startsWith('.')),
        [],
        `${context}: no half-created topic directory is left`,
      );
      assert.ok(log.hasTopic('__consumer_offsets'), `${context}: the internal offsets topic exists`);

      // An interrupted retention or compaction runs to completion when maintenance runs again.
      if (scenario.operation.some((step) => step.op === 'maintenance')) {
        await log.runMaintenance();
        const redone = await logView(log, topics, offsetKeys);
        assert.ok(
          isDeepStrictEqual(redone, afterView),
          `${context}: maintenance after the crash reaches the state after\n  actual: ${describeView(redone)}\n  after:  ${describeView(afterView)}`,
        );
      }

      // The log goes on: appends land at the high watermark, missing topics can be created, commits work.
      const producer = log.createProducer();
      for (const name of topics) {
        if (!log.hasTopic(name)) {
          await log.createTopic(name, { partitions: after.topics.get(name)?.partitions.length ?? 1 });
        }
        const description = log.describeTopic(name);
        for (const p of description.partitions) {
          const key = `after-crash-${name}-${p.partition}`;
          const [result] = await producer.send(name, [{ key, value: 'v', partition: p.partition }]);
          assert.equal(
            result?.baseOffset,
            p.highWatermark,
            `${context}: ${name}/${p.partition} appends at its high watermark`,
          );
          appended.push({ topic: name, partition: p.partition, offset: p.highWatermark, key });
        }
      }
      for (const key of offsetKeys) {
        const [group, topic, partition] = JSON.parse(key) as [string, string, number];
        recommitted.push({ group, topic, partition, offset: 5000 + recommitted.length });
      }
      recommitted.push({
        group: 'after-crash',
        topic: topics[0] ?? '__consumer_offsets',
        partition: 0,
        offset: 1,
      });
      for (const c of recommitted) await log.commitOffsets(c.group, [c]);
    } finally {
      await log.close();
    }
    assert.deepEqual(verifyLog(dataDir).problems, [], `${context}: verifyLog after recovery and appends`);
    log = await createLog({ dataDir, maintenanceInterval: false, clock });
    try {
      for (const a of appended) {
        const fetched = await log.fetch(a.topic, a.partition, a.offset);
        assert.equal(
          fetched.records[0]?.keyString(),
          a.key,
          `${context}: ${a.topic}/${a.partition}@${a.offset} after reopening`,
        );
        assert.equal(fetched.highWatermark, a.offset + 1);
      }
      for (const c of recommitted) {
        assert.equal(
          log.committedOffset(c.group, c.topic, c.partition),
          c.offset,
          `${context}: commit after the crash`,
        );
      }
      // Retention still reaches every sealed segment: with every record expired and the active segment
      // rolled away, a topic with time retention keeps nothing.
      clock.set(T0 + 100 * HOUR);
      const retained = topics.filter(
        (name) => log.hasTopic(name) && log.topicConfig(name).retentionMs !== undefined,
      );
      for (const name of retained) {
        for (let p = 0; p < log.topicConfig(name).partitions; p++) await log.partition(name, p).roll();
      }
      await log.runMaintenance();
      for (const name of retained) {
        for (const p of log.describeTopic(name).partitions) {
          assert.equal(
            p.logStartOffset,
            p.highWatermark,
            `${context}: retention after the crash deletes every expired segment of ${name}/${p.partition} (${p.segments} segments left)`,
          );
        }
      }
    } finally {
      await log.close();
    }
    return { outcome };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('a crash at any failpoint leaves exactly the state before or after the operation', {
  timeout: 300_000,
}, async (t) => {
  const seed = faultSeed('crash-failpoints');
  const random = new SeededRandom(seed);
  const lines: string[] = [];
  const counts = { before: 0, after: 0, unchanged: 0 };
  for (const scenario of scenarios(random)) {
    const { outcome } = await runScenario(scenario, seed);
    counts[outcome]++;
    lines.push(`${scenario.name} -> ${outcome}`);
  }
  const summary = `${lines.length} crashes: ${counts.before} left the state before, ${counts.after} the state after, ${counts.unchanged} had nothing to change, 0 mixed (seed ${seed})`;
  console.log(`[crash-failpoints] ${lines.join('\n[crash-failpoints] ')}\n[crash-failpoints] ${summary}`);
  t.diagnostic(summary);
});
