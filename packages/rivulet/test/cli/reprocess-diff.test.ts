/**
 * `rivulet reprocess` and `rivulet diff` (S10): the renamed plan copy (plan/rename-plan.ts), the topic
 * comparison (cli/topic-diff.ts) against naive references, and end to end: a pipeline runs with the old
 * logic through the engine API, the CLI reprocesses the log with the new logic into `<topic>-v2`, and the
 * new topic must equal a plain loop over the input with the new logic while the old one is unchanged;
 * `rivulet diff` must report the counts a plain multiset difference gives.
 */
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type DiffRecord, diffRecords, diffTables } from '../../src/cli/topic-diff.ts';
import { json, pipeline, topic } from '../../src/dsl/index.ts';
import { createEngine } from '../../src/engine.ts';
import { createLog, type Log } from '../../src/log/index.ts';
import { isEngineError } from '../../src/model/index.ts';
import { renamePlan } from '../../src/plan/index.ts';
import { prng, runCli, tempDir } from './cli-harness.ts';
import fixture from './fixtures/reprocess-totals.ts';

const FIXTURE = 'test/cli/fixtures/reprocess-totals.ts';

describe('renamePlan', () => {
  const p = pipeline('shop');
  const orders = p.from('orders', topic('orders', json<{ id: string; n: number }>()));
  orders
    .keyBy((o) => o.id)
    .count('per-id')
    .toStream()
    .to('counts-out', topic('counts', json()));
  orders.filter((o) => o.n > 0).to('positive-out', topic('positive', json()));
  p.from('returns', topic('returns', json<{ id: string }>(), { startFrom: 'latest' })).to(
    'echo-out',
    topic('echo', json()),
  );
  const plan = p.plan();

  it('renames the pipeline and sink topics and starts sources at earliest', () => {
    const copy = renamePlan(plan, { suffix: 'v2', startFrom: 'earliest' });
    assert.equal(copy.pipeline, 'shop-v2');
    assert.equal(copy.functions, plan.functions);
    assert.equal(copy.nodes.length, plan.nodes.length);
    for (const [i, node] of copy.nodes.entries()) {
      const before = plan.nodes[i]!;
      assert.ok(Object.isFrozen(node));
      if (node.kind === 'sink') {
        assert.equal(node.topic, `${(before as typeof node).topic}-v2`);
        assert.deepEqual({ ...node, topic: '' }, { ...before, topic: '' });
      } else if (node.kind === 'source') {
        assert.deepEqual({ ...node, startFrom: 'earliest' }, { ...before, startFrom: 'earliest' });
        assert.equal(node.startFrom, 'earliest');
      } else {
        assert.equal(node, before, 'other nodes are shared unchanged');
      }
    }
    assert.deepEqual(
      copy.nodes.filter((n) => n.kind === 'source').map((n) => (n as { topic: string }).topic),
      ['orders', 'returns'],
    );
    // Without startFrom, sources are shared unchanged.
    const plain = renamePlan(plan, { suffix: 'v3' });
    for (const [i, node] of plain.nodes.entries())
      if (node.kind !== 'sink') assert.equal(node, plan.nodes[i]);
    // The original is untouched.
    assert.equal(plan.pipeline, 'shop');
    assert.deepEqual(
      plan.nodes.filter((n) => n.kind === 'sink').map((n) => (n as { topic: string }).topic),
      ['counts', 'positive', 'echo'],
    );
  });

  it('refuses suffixes that make invalid topic names', () => {
    for (const suffix of ['', 'a/b', 'v 2', 'ü', 'x'.repeat(250)]) {
      assert.throws(
        () => renamePlan(plan, { suffix }),
        (e: unknown) => isEngineError(e, 'INVALID_ARGUMENT'),
        JSON.stringify(suffix),
      );
    }
    // The longest sink topic is 'positive': 'positive-' leaves 240 characters of the 249 for the suffix.
    assert.throws(
      () => renamePlan(plan, { suffix: 'x'.repeat(241) }),
      (e: unknown) => isEngineError(e, 'INVALID_ARGUMENT'),
    );
    assert.equal(renamePlan(plan, { suffix: 'x'.repeat(240) }).pipeline.length, 'shop-'.length + 240);
  });
});

/** Naive multiset difference: sort both sides' pair strings and walk them. */
function referenceMultiset(a: DiffRecord[], b: DiffRecord[]): { onlyA: number; onlyB: number; both: number } {
  const ids = (rs: DiffRecord[]): string[] => rs.map((r) => `${r.key}\u0000${r.value}`).sort();
  const x = ids(a);
  const y = ids(b);
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      both++;
      i++;
      j++;
    } else if (x[i]! < y[j]!) i++;
    else j++;
  }
  return { onlyA: x.length - both, onlyB: y.length - both, both };
}

/** Naive table: a plain object, partitions in ascending order, later records win, null deletes. */
function referenceTable(records: DiffRecord[]): Record<string, string> {
  const table: Record<string, string> = Object.create(null) as Record<string, string>;
  const partitions = [...new Set(records.map((r) => r.partition))].sort((p, q) => p - q);
  for (const partition of partitions)
    for (const r of records)
      if (r.partition === partition && r.key !== null) {
        if (r.value === null) delete table[r.key];
        else table[r.key] = r.value;
      }
  return table;
}

describe('topic diff', () => {
  it('matches a hand-worked example', () => {
    const r = (key: string | null, value: string | null, partition = 0): DiffRecord => ({
      partition,
      key,
      value,
    });
    const a = [r('x', '1'), r('x', '1'), r('y', '2'), r(null, 'n'), r('z', '3'), r('z', null)];
    const b = [r('x', '1'), r('y', '5'), r(null, 'n'), r('w', '9', 1)];
    const records = diffRecords(a, b);
    assert.equal(records.recordsA, 6);
    assert.equal(records.recordsB, 4);
    assert.equal(records.inBoth, 2); // (x,1) once, (null,n) once
    assert.equal(records.onlyInA, 4); // (x,1), (y,2), (z,3), (z,null)
    assert.equal(records.onlyInB, 2); // (y,5), (w,9)
    assert.equal(records.equal, false);
    assert.deepEqual(records.examples[0], { side: 'a', key: 'x', value: '1', count: 1 });
    assert.equal(diffRecords(a, b, 2).examples.length, 2);
    const tables = diffTables(a, b);
    // A: x=1, y=2 (z deleted); B: x=1, y=5, w=9.
    assert.deepEqual(
      { ...tables, examples: undefined },
      {
        by: 'key',
        keysA: 2,
        keysB: 3,
        onlyInA: 0,
        onlyInB: 1,
        different: 1,
        same: 1,
        equal: false,
        examples: undefined,
      },
    );
    assert.deepEqual(tables.examples, [
      { key: 'w', a: null, b: '9' },
      { key: 'y', a: '2', b: '5' },
    ]);
    assert.equal(diffRecords(a, [...a].reverse()).equal, true);
    assert.equal(diffTables(a, [r('y', '2'), r('x', '1')]).equal, true);
  });

  it('agrees with naive references on random topics', () => {
    const random = prng(7);
    const pick = (n: number): number => Math.floor(random() * n);
    const records = (): DiffRecord[] =>
      Array.from({ length: pick(60) }, () => ({
        partition: pick(3),
        key: pick(8) === 0 ? null : `k${pick(6)}`,
        value: pick(6) === 0 ? null : `v${pick(4)}`,
      }));
    for (let round = 0; round < 300; round++) {
      const a = records();
      const b = round % 5 === 0 ? [...a].reverse() : records();
      const ref = referenceMultiset(a, b);
      const got = diffRecords(a, b);
      assert.deepEqual([got.onlyInA, got.onlyInB, got.inBoth], [ref.onlyA, ref.onlyB, ref.both]);
      assert.equal(got.equal, ref.onlyA === 0 && ref.onlyB === 0);
      const ta = referenceTable(a);
      const tb = referenceTable(b);
      const keys = new Set([...Object.keys(ta), ...Object.keys(tb)]);
      let onlyA = 0;
      let onlyB = 0;
      let different = 0;
      let same = 0;
      for (const k of keys) {
        if (!(k in tb)) onlyA++;
        else if (!(k in ta)) onlyB++;
        else if (ta[k] === tb[k]) same++;
        else different++;
      }
      const t = diffTables(a, b);
      assert.deepEqual([t.onlyInA, t.onlyInB, t.different, t.same], [onlyA, onlyB, different, same]);
      assert.equal(t.examples.length, onlyA + onlyB + different);
    }
  });
});

interface Payment {
  customer: string;
  amount: number;
}

/** The (key, value) pairs of a topic as decoded JSON text, sorted, with the record count per partition. */
async function topicPairs(log: Log, name: string): Promise<string[]> {
  const pairs: string[] = [];
  const { partitions } = log.topicConfig(name);
  for (let partition = 0; partition < partitions; partition++) {
    let offset = log.partition(name, partition).logStartOffset;
    const end = log.partition(name, partition).committedOffset;
    while (offset < end) {
      const fetched = await log.fetch(name, partition, offset, undefined, 'committed');
      for (const r of fetched.records) pairs.push(JSON.stringify([r.keyString(), r.valueString()]));
      offset = fetched.nextOffset;
    }
  }
  return pairs.sort();
}

/** A plain loop: per input record in order, its customer's running total under `add`, as output pairs. */
function runningTotals(payments: Payment[], add: (p: Payment) => number): string[] {
  const totals = new Map<string, number>();
  const pairs: string[] = [];
  for (const p of payments) {
    const total = (totals.get(p.customer) ?? 0) + add(p);
    totals.set(p.customer, total);
    pairs.push(JSON.stringify([JSON.stringify(p.customer), JSON.stringify(total)]));
  }
  return pairs.sort();
}

/** Naive multiset difference of sorted string lists. */
function sortedDifference(a: string[], b: string[]): { onlyA: number; onlyB: number; both: number } {
  const counts = new Map<string, number>();
  for (const x of a) counts.set(x, (counts.get(x) ?? 0) + 1);
  let both = 0;
  for (const y of b) {
    const n = counts.get(y) ?? 0;
    if (n > 0) {
      both++;
      counts.set(y, n - 1);
    }
  }
  return { onlyA: a.length - both, onlyB: b.length - both, both };
}

describe('rivulet reprocess and diff', () => {
  it('reprocesses the log with new logic side by side, and diff reports the differences', async () => {
    const dir = tempDir('reprocess');
    try {
      const random = prng(10);
      const payments: Payment[] = Array.from({ length: 400 }, () => ({
        customer: `c${Math.floor(random() * 12)}`,
        amount: Math.floor(random() * 150) - 40,
      }));
      assert.ok(payments.some((p) => p.amount < 0));
      // The old logic (the fixture without REPROCESS_TOTALS_LOGIC), run through the engine API.
      const engine = await createEngine({ dataDir: dir.path });
      try {
        await engine.log.createTopic('payments', { partitions: 1 });
        const producer = engine.log.createProducer();
        for (let i = 0; i < payments.length; i += 50)
          await producer.send(
            'payments',
            payments.slice(i, i + 50).map((p, j) => ({ key: `p${i + j}`, value: JSON.stringify(p) })),
          );
        const run = await engine.run(fixture, { parallelism: 1 });
        const deadline = Date.now() + 20_000;
        while (!(run.status().lag === 0 && run.status().recordsIn >= payments.length)) {
          assert.ok(Date.now() < deadline, 'the original pipeline did not catch up');
          await new Promise((r) => setTimeout(r, 50));
        }
        await run.stop();
      } finally {
        await engine.close();
      }
      const oldLogic = (p: Payment): number => p.amount;
      const newLogic = (p: Payment): number => Math.max(0, p.amount);
      let log = await createLog({ dataDir: dir.path, maintenanceInterval: false });
      const before = await topicPairs(log, 'totals');
      const changelogBefore = await topicPairs(log, 'totals-customer-total-changelog');
      await log.close();
      assert.deepEqual(before, runningTotals(payments, oldLogic), 'the original run is the old logic');

      const env = { REPROCESS_TOTALS_LOGIC: 'v2' };
      const common = ['--data-dir', dir.path];
      const missing = await runCli(['reprocess', FIXTURE, '--into', 'v2', ...common], { env });
      assert.equal(missing.code, 2, missing.stderr);
      assert.match(missing.stderr, /--from-beginning/);
      const bad = await runCli(['reprocess', FIXTURE, '--into', 'v/2', '--from-beginning', ...common]);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stderr, /error INVALID_ARGUMENT/);

      const result = await runCli(
        ['reprocess', FIXTURE, '--into', 'v2', '--from-beginning', '--json', ...common],
        { env },
      );
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout) as {
        pipeline: string;
        reprocessedAs: string;
        inputRecords: number;
        complete: boolean;
        topics: Array<{ from: string; to: string; records: number }>;
      };
      assert.equal(summary.pipeline, 'totals');
      assert.equal(summary.reprocessedAs, 'totals-v2');
      assert.equal(summary.inputRecords, payments.length);
      assert.equal(summary.complete, true);
      assert.deepEqual(summary.topics, [{ from: 'totals', to: 'totals-v2', records: payments.length }]);
      assert.match(result.stderr, /400 of 400 input records processed \(100%\)/);

      log = await createLog({ dataDir: dir.path, maintenanceInterval: false });
      let after: string[];
      let reprocessed: string[];
      try {
        after = await topicPairs(log, 'totals');
        reprocessed = await topicPairs(log, 'totals-v2');
        assert.deepEqual(await topicPairs(log, 'totals-customer-total-changelog'), changelogBefore);
        assert.ok(log.hasTopic('totals-v2-customer-total-changelog'), 'the copy has its own changelog');
      } finally {
        await log.close();
      }
      assert.deepEqual(after, before, 'the original output is untouched');
      assert.deepEqual(reprocessed, runningTotals(payments, newLogic), 'the new output is the new logic');

      const again = await runCli(['reprocess', FIXTURE, '--into', 'v2', '--from-beginning', ...common], {
        env,
      });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /error TOPIC_EXISTS: output topic 'totals-v2'/);
      assert.match(again.stderr, /hint: pick another --into suffix/);
      // With its output deleted, the renamed pipeline still has checkpoints: it would resume, so refused.
      const scratch = tempDir('reprocess-copy');
      try {
        cpSync(dir.path, scratch.path, { recursive: true });
        const deleted = await runCli(['topics', 'delete', 'totals-v2', '--data-dir', scratch.path]);
        assert.equal(deleted.code, 0, deleted.stderr);
        const resumed = await runCli(
          ['reprocess', FIXTURE, '--into', 'v2', '--from-beginning', '--data-dir', scratch.path],
          { env },
        );
        assert.equal(resumed.code, 1);
        assert.match(resumed.stderr, /error INVALID_ARGUMENT: pipeline 'totals-v2' has run before/);
      } finally {
        scratch.remove();
      }

      const expected = sortedDifference(before, reprocessed);
      assert.ok(expected.onlyA > 0 && expected.both > 0);
      const diff = await runCli(['diff', 'totals', 'totals-v2', '--json', '--limit', '3', ...common]);
      assert.equal(diff.code, 1, diff.stderr);
      const report = JSON.parse(diff.stdout) as Record<string, unknown>;
      assert.deepEqual(
        [report.onlyInA, report.onlyInB, report.inBoth, report.equal],
        [expected.onlyA, expected.onlyB, expected.both, false],
      );
      assert.equal((report.examples as unknown[]).length, 3);

      // By key: the final totals of each logic; customers with a refund differ.
      const finalTotal = (add: (p: Payment) => number): Map<string, number> => {
        const m = new Map<string, number>();
        for (const p of payments) m.set(p.customer, (m.get(p.customer) ?? 0) + add(p));
        return m;
      };
      const oldTotals = finalTotal(oldLogic);
      const newTotals = finalTotal(newLogic);
      const differing = [...oldTotals.keys()].filter((c) => oldTotals.get(c) !== newTotals.get(c));
      const byKey = await runCli([
        'diff',
        'totals',
        'totals-v2',
        '--by',
        'key',
        '--json',
        '--limit',
        '100',
        ...common,
      ]);
      assert.equal(byKey.code, 1, byKey.stderr);
      const keyReport = JSON.parse(byKey.stdout) as Record<string, unknown>;
      assert.deepEqual(
        [keyReport.keysA, keyReport.onlyInA, keyReport.onlyInB, keyReport.different, keyReport.same],
        [oldTotals.size, 0, 0, differing.length, oldTotals.size - differing.length],
      );
      assert.deepEqual(
        (keyReport.examples as Array<{ key: string; a: string; b: string }>).map((e) => [e.key, e.a, e.b]),
        differing
          .map((c) => [JSON.stringify(c), String(oldTotals.get(c)), String(newTotals.get(c))])
          .sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
      );

      const same = await runCli(['diff', 'totals', 'totals', ...common]);
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stdout, new RegExp(`in both:\\s+${payments.length}\\n`));
      assert.match(same.stdout, /^equal$/m);
      const text = await runCli(['diff', 'totals', 'totals-v2', ...common]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, new RegExp(`only in A: ${expected.onlyA}\\n`));
      assert.match(text.stdout, /^different$/m);
      const all = await runCli(['diff', 'totals', 'totals-v2', '--json', '--limit', '100000', ...common]);
      const distinct = (JSON.parse(all.stdout) as { examples: unknown[] }).examples.length;
      const exampleLines = text.stdout.split('\n').filter((l) => /^[<>] key "c\d+" value -?\d+/.test(l));
      assert.equal(exampleLines.length, Math.min(10, distinct), text.stdout);

      const unknown = await runCli(['diff', 'totals', 'nope', ...common]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /error UNKNOWN_TOPIC/);
      const usage = await runCli(['diff', 'totals', 'totals-v2', '--by', 'value', ...common]);
      assert.equal(usage.code, 2);
    } finally {
      dir.remove();
    }
  });
});
