import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { boundedOutOfOrder, json, pipeline, text, topic, tumbling } from '../dsl/index.ts';
import { buildTopology, PlanBuilder, repartitionTopicName, validatePlan } from '../plan/index.ts';
import { StreamRecord } from '../runtime/index.ts';
import { restartableTask } from './test/restartable-task.ts';
import { TestDriver } from './test-driver.ts';

/**
 * Stream-stream joins through the test driver (one record per step, left and right from their own
 * topics, each with its own out-of-orderness bound, keyed by keyBy, so both go through repartition
 * topics), against a reference written from the rules, not from the operator:
 * - the join's watermark after a step is the max so far of min(left's, right's), where a side's is its
 *   largest time so far minus its bound (none until both sides had a record);
 * - a record is late when its time + lateness is below the watermark after the step before it;
 * - every two on-time records of opposite sides and the same key at most `within` apart are a pair,
 *   emitted at the step of the later one, with the larger time;
 * - an on-time record of an unmatched-emitting side (left for left joins, both for outer) that is in no
 *   pair is emitted with its own time at the first step whose watermark is above its time + within +
 *   lateness (never, if none is).
 * Outputs are compared with their step, so "when" is checked too, not just "what".
 */
interface Event {
  id: number;
  k: string;
  ts: number;
}

type Side = 'left' | 'right';
type JoinType = 'inner' | 'left' | 'outer';

interface Step {
  side: Side;
  e: Event;
}

interface Params {
  join: JoinType;
  within: number;
  bounds: { left: number; right: number };
  lateness: number;
}

/** What the joiner returns: the ids of both records (null for none) and the key. */
interface Joined {
  l: number | null;
  r: number | null;
  k: string;
}

const FLUSH_TS = 1_000_000;
const flushSteps: Step[] = [
  { side: 'left', e: { id: -1, k: 'flush', ts: FLUSH_TS } },
  { side: 'right', e: { id: -2, k: 'flush', ts: FLUSH_TS } },
];

function joinPipeline({ join, within, bounds, lateness }: Params) {
  const p = pipeline('stream-joins');
  const side = (name: Side) =>
    p
      .from(name, topic(name, json<Event>()))
      .eventTime((e) => e.ts, boundedOutOfOrder(bounds[name]))
      .keyBy((e) => e.k);
  const left = side('left');
  const right = side('right');
  const options = { allowedLateness: lateness };
  const joined =
    join === 'inner'
      ? left.join('j', right, within, (l, r, k): Joined => ({ l: l.id, r: r.id, k }), options)
      : join === 'left'
        ? left.leftJoin('j', right, within, (l, r, k): Joined => ({ l: l.id, r: r?.id ?? null, k }), options)
        : left.outerJoin(
            'j',
            right,
            within,
            (l, r, k): Joined => ({ l: l?.id ?? null, r: r?.id ?? null, k }),
            options,
          );
  joined.to('out', topic('joined', json<Joined>()));
  joined.late.to('late-out', topic('late', json()));
  return p;
}

/** An output as compared: its step (or -1 when not compared), key, ids and timestamp. */
const outputId = (step: number, j: Joined, ts: number) => JSON.stringify([step, j.k, j.l, j.r, ts]);

function run(steps: Step[], params: Params) {
  const driver = new TestDriver(joinPipeline(params));
  const outputs: string[] = [];
  const late: Array<{ side: Side; id: number }> = [];
  for (const [i, { side, e }] of steps.entries()) {
    driver.pipeInput(side, e);
    for (const r of driver.readOutput('joined')) {
      const j = r.value as Joined;
      assert.equal(r.key, j.k, 'results keep the key');
      outputs.push(outputId(i, j, r.timestamp));
    }
    for (const r of driver.readOutput('late')) {
      const v = r.value as { side: Side; value: Event };
      assert.equal(r.timestamp, v.value.ts, 'a late record keeps its time');
      assert.equal(r.key, v.value.k, 'a late record keeps its key');
      late.push({ side: v.side, id: v.value.id });
      assert.equal(v.side, side, 'a late record is reported at its own step, with its side');
    }
  }
  return { outputs, late, store: driver.storeEntries('j') };
}

function reference(steps: Step[], { join, within, bounds, lateness }: Params) {
  const max = { left: Number.NEGATIVE_INFINITY, right: Number.NEGATIVE_INFINITY };
  const watermarks: number[] = [];
  const onTime: number[] = [];
  const late: Array<{ side: Side; id: number }> = [];
  let watermark = Number.NEGATIVE_INFINITY;
  for (const [i, { side, e }] of steps.entries()) {
    if (e.ts + lateness < watermark) late.push({ side, id: e.id });
    else onTime.push(i);
    max[side] = Math.max(max[side], e.ts);
    watermark = Math.max(watermark, Math.min(max.left - bounds.left, max.right - bounds.right));
    watermarks.push(watermark);
  }
  const outputs: string[] = [];
  const matched = new Set<number>();
  for (const i of onTime)
    for (const j of onTime) {
      const [a, b] = [steps[i]!, steps[j]!];
      if (a.side !== 'left' || b.side !== 'right' || a.e.k !== b.e.k) continue;
      if (Math.abs(a.e.ts - b.e.ts) > within) continue;
      matched.add(i).add(j);
      outputs.push(outputId(Math.max(i, j), { l: a.e.id, r: b.e.id, k: a.e.k }, Math.max(a.e.ts, b.e.ts)));
    }
  for (const i of onTime) {
    const { side, e } = steps[i]!;
    if (matched.has(i) || join === 'inner' || (join === 'left' && side === 'right')) continue;
    const at = watermarks.findIndex((w, s) => s >= i && w > e.ts + within + lateness);
    if (at < 0) continue;
    const j = side === 'left' ? { l: e.id, r: null, k: e.k } : { l: null, r: e.id, k: e.k };
    outputs.push(outputId(at, j, e.ts));
  }
  return { outputs, late };
}

/** A side's events, ids from `firstId`; with `bounded`, none is more than `bound` behind its side's newest. */
function sideArb(firstId: number, bound: number, bounded: boolean): fc.Arbitrary<Event[]> {
  const step = bounded ? fc.integer({ min: -20, max: 15 }) : fc.integer({ min: -30, max: 25 });
  return fc
    .array(fc.record({ k: fc.constantFrom('a', 'b', 'c'), step }), {
      maxLength: 30,
      size: 'medium',
    })
    .map((drafts) => {
      let ts = 100;
      let max = 100;
      return drafts.map((d, i) => {
        ts = Math.max(0, ts + d.step);
        if (bounded) ts = Math.max(ts, max - bound);
        max = Math.max(max, ts);
        return { id: firstId + i, k: d.k, ts };
      });
    });
}

/** The two sides merged: each flag takes the next record of its side (the other side once one is used up). */
function interleave(left: Event[], right: Event[], flags: boolean[]): Step[] {
  const steps: Step[] = [];
  let [l, r] = [0, 0];
  for (let i = 0; l < left.length || r < right.length; i++) {
    const takeLeft = r >= right.length || (l < left.length && (flags[i] ?? i % 2 === 0));
    steps.push(takeLeft ? { side: 'left', e: left[l++]! } : { side: 'right', e: right[r++]! });
  }
  return [...steps, ...flushSteps];
}

/** Join parameters and both sides; with `bounded`, each side keeps within its bound (nothing is late). */
const caseArb = (join: JoinType, bounded: boolean) =>
  fc
    .record({
      within: fc.integer({ min: 0, max: 20 }),
      left: fc.integer({ min: 0, max: 25 }),
      right: fc.integer({ min: 0, max: 25 }),
      lateness: bounded ? fc.integer({ min: 0, max: 10 }) : fc.integer({ min: 0, max: 15 }),
    })
    .chain(({ within, left, right, lateness }) =>
      fc.record({
        params: fc.constant<Params>({ join, within, bounds: { left, right }, lateness }),
        left: sideArb(0, left, bounded),
        right: sideArb(100, right, bounded),
        flags: fc.tuple(
          fc.array(fc.boolean(), { maxLength: 60, size: 'medium' }),
          fc.array(fc.boolean(), { maxLength: 60, size: 'medium' }),
        ),
      }),
    );

const sortedOutputs = (outputs: string[]) =>
  outputs.map((o) => JSON.stringify((JSON.parse(o) as unknown[]).slice(1))).sort();

/** State holds nothing but the two flush records (which nothing passes). */
const onlyFlushState = (store: Array<[unknown, unknown]>) =>
  store.filter(([key]) => !Buffer.from(key as Uint8Array).includes('"flush"')).length === 0;

for (const join of ['inner', 'left', 'outer'] as const) {
  test(`${join} stream-stream join within the out-of-orderness bounds: outputs (and when they come) equal the rule-based reference, whatever the interleaving; state is emptied (property)`, () => {
    fc.assert(
      fc.property(caseArb(join, true), ({ params, left, right, flags }) => {
        const [first, second] = flags.map((f) => interleave(left, right, f)) as [Step[], Step[]];
        const a = run(first, params);
        const b = run(second, params);
        const expected = reference(first, params);
        assert.deepEqual(a.late, []);
        assert.deepEqual(b.late, []);
        assert.deepEqual([...a.outputs].sort(), [...expected.outputs].sort());
        assert.deepEqual([...b.outputs].sort(), [...reference(second, params).outputs].sort());
        // The same pairs and unmatched records, whichever side came first.
        assert.deepEqual(sortedOutputs(a.outputs), sortedOutputs(b.outputs));
        assert.ok(onlyFlushState(a.store), JSON.stringify(a.store));
        assert.ok(onlyFlushState(b.store), JSON.stringify(b.store));
      }),
      { numRuns: 500 },
    );
  });
}

test('beyond the bounds: late records go to `late` exactly once, are never joined, and nothing is lost (property)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<JoinType>('inner', 'left', 'outer').chain((join) => caseArb(join, false)),
      ({ params, left, right, flags }) => {
        const steps = interleave(left, right, flags[0]);
        const out = run(steps, params);
        const expected = reference(steps, params);
        assert.deepEqual(out.late, expected.late);
        assert.deepEqual([...out.outputs].sort(), [...expected.outputs].sort());
        // Conservation: each record is late, or in some output, or (inner, or a right record of a left
        // join) in none and not late; never both late and joined.
        const inOutputs = new Set(
          out.outputs.flatMap((o) => {
            const [, , l, r] = JSON.parse(o) as [number, string, number | null, number | null];
            return [`left ${l}`, `right ${r}`];
          }),
        );
        const late = out.late.map(({ side, id }) => `${side} ${id}`);
        assert.equal(new Set(late).size, late.length, 'late once');
        for (const { side, e } of steps) {
          const id = `${side} ${e.id}`;
          const mustAppear = params.join === 'outer' || (params.join === 'left' && side === 'left');
          if (late.includes(id)) assert.ok(!inOutputs.has(id), `${id} is late and joined`);
          else if (mustAppear) assert.ok(inOutputs.has(id), `${id} is lost`);
        }
        assert.ok(onlyFlushState(out.store), JSON.stringify(out.store));
      },
    ),
    { numRuns: 500 },
  );
});

test('left and outer joins by hand: unmatched results come only once the watermark passes t + within', () => {
  const L = (id: number, k: string, ts: number): Step => ({ side: 'left', e: { id, k, ts } });
  const R = (id: number, k: string, ts: number): Step => ({ side: 'right', e: { id, k, ts } });
  // within 10, no out-of-orderness: the watermark after each step is min(largest left, largest right).
  const steps = [
    L(1, 'a', 100), //  1: W none
    R(11, 'a', 110), // 2: (1, 11) at 110 (10 apart: in); W 100
    L(2, 'a', 125), //  3: 15 from 11; W 110
    R(12, 'a', 136), // 4: 11 from 2: out; W 125 drops 1 and 11 (both matched: nothing)
    L(3, 'b', 135), //  5: W 135 = 125 + 10: 2 waits
    R(13, 'b', 140), // 6: (3, 13) at 140
    L(4, 'a', 146), //  7: (4, 12) at 146; W 140 > 135: (2, -) at 125
    R(14, 'c', 160), // 8: W 146: 12 (matched) stays (146 = 136 + 10)
    L(5, 'c', 200), //  9: 40 from 14; W 160 drops 12, 13, 4 (matched)
    R(15, 'c', 230), // 10: W 200 > 170: (-, 14) at 160 (outer)
    L(-1, 'z', 10_000), // 11: W 230 > 210: (5, -) at 200
    R(-2, 'z', 10_000), // 12: (-1, -2); W 10000: (-, 15) at 230 (outer)
  ];
  const pair = (step: number, l: number | null, r: number | null, k: string, ts: number) =>
    outputId(step, { l, r, k }, ts);
  const pairs = [
    pair(1, 1, 11, 'a', 110),
    pair(5, 3, 13, 'b', 140),
    pair(6, 4, 12, 'a', 146),
    pair(11, -1, -2, 'z', 10_000),
  ];
  const leftOnly = [pair(6, 2, null, 'a', 125), pair(10, 5, null, 'c', 200)];
  const rightOnly = [pair(9, null, 14, 'c', 160), pair(11, null, 15, 'c', 230)];
  const params = (join: JoinType): Params => ({
    join,
    within: 10,
    bounds: { left: 0, right: 0 },
    lateness: 0,
  });
  const expected = {
    inner: pairs,
    left: [...pairs, ...leftOnly],
    outer: [...pairs, ...leftOnly, ...rightOnly],
  };
  for (const join of ['inner', 'left', 'outer'] as const) {
    const out = run(steps, params(join));
    assert.deepEqual([...out.outputs].sort(), [...expected[join]].sort(), join);
    assert.deepEqual(out.late, []);
  }
});

test('a window after an outer join sees none of its results late: the join holds its watermark back by within', () => {
  const p = pipeline('join-then-window');
  const side = (name: Side) =>
    p
      .from(name, topic(name, json<Event>()))
      .eventTime((e) => e.ts, boundedOutOfOrder(0))
      .keyBy((e) => e.k);
  const counts = side('left')
    .outerJoin('j', side('right'), 10, (l, r) => ({ l: l?.id ?? null, r: r?.id ?? null }))
    .groupByKey()
    .window(tumbling(10))
    .count('per-10');
  counts.to('counts', topic('counts', json()));
  counts.late.to('late', topic('late', json()));
  const driver = new TestDriver(p);
  const steps: Step[] = [
    { side: 'left', e: { id: 1, k: 'a', ts: 125 } },
    { side: 'right', e: { id: 2, k: 'b', ts: 135 } }, // W 125
    { side: 'left', e: { id: 3, k: 'b', ts: 136 } }, // (3, 2) at 136; W 135: [120, 130) could close
    { side: 'right', e: { id: 4, k: 'c', ts: 170 } }, // W 136 > 125 + 10: (1, -) at 125
    ...flushSteps, // (-, 4) at 170
  ];
  for (const { side, e } of steps) driver.pipeInput(side, e);
  assert.deepEqual(driver.readOutput('late'), []);
  const windows = driver
    .readOutput('counts')
    .map((r) => r.value as { key: string; window: { start: number }; value: number })
    .filter((w) => w.key !== 'flush')
    .map((w) => [w.key, w.window.start, w.value]);
  assert.deepEqual(windows, [
    ['a', 120, 1],
    ['b', 130, 1],
    ['c', 170, 1],
  ]);
});

test('plan checks: same key format, event time and keys on both sides; explain; a throwing joiner fails the record', () => {
  const p = pipeline('checks');
  const keyed = p
    .from('keyed', topic('keyed', json<Event>(), { key: text() }))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .groupByKey();
  const byK = p
    .from('plain', topic('plain', json<Event>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .keyBy((e) => e.k);
  const untimed = p.from('untimed', topic('untimed', json<Event>())).keyBy((e) => e.k);
  keyed.join('mismatch', byK, 5, (l, r) => [l.id, r.id]).to('o1', topic('o1', json()));
  byK.leftJoin('no-time', untimed, 5, (l, r) => [l.id, r?.id]).to('o2', topic('o2', json()));
  assert.deepEqual(
    p.validate().map((i) => [i.code, i.operator]),
    [
      ['KEY_FORMAT_MISMATCH', "streamStreamJoin 'mismatch'"],
      ['NO_EVENT_TIME', "streamStreamJoin 'no-time'"],
    ],
  );
  // Unkeyed inputs cannot be written in the DSL; a hand-made plan shows the check.
  const b = new PlanBuilder('unkeyed');
  const json0 = { kind: 'json' } as const;
  const source = (name: string) => {
    const id = b.add({
      kind: 'source',
      inputs: [],
      name,
      topic: name,
      keyFormat: json0,
      valueFormat: json0,
      startFrom: 'earliest',
    });
    return b.add({ kind: 'eventTime', inputs: [id], fn: b.fn(() => 0), maxOutOfOrderMs: 0 });
  };
  b.add({
    kind: 'streamStreamJoin',
    inputs: [source('x'), source('y')],
    name: 'j',
    join: 'inner',
    withinMs: 1,
    allowedLatenessMs: 0,
    fn: b.fn(() => null),
    store: { name: 'j', keyFormat: { kind: 'bytes' }, valueFormat: { kind: 'structured' } },
    keyFormats: [json0, json0],
  });
  assert.deepEqual(
    validatePlan(b.build()).map((i) => i.code),
    ['NOT_KEYED', 'NOT_KEYED'],
  );

  const ok = pipeline('explained');
  const side = (name: Side) =>
    ok
      .from(name, topic(name, json<Event>()))
      .eventTime((e) => e.ts, boundedOutOfOrder(0))
      .keyBy((e) => e.k);
  const joined = side('left').outerJoin('j', side('right'), '2s', (l, r) => {
    if (l?.id === 13) throw new Error('unlucky thirteen');
    return [l?.id, r?.id];
  });
  joined.to('out', topic('out', json()));
  joined.late.to('late', topic('late', json()));
  assert.deepEqual(ok.validate(), []);
  const explained = ok.explain();
  assert.match(explained, /outer stream-stream join 'j' .*within 2000 ms/);
  assert.match(explained, /repartition #2 -> topic/);
  assert.match(explained, /store j of 'j'/);
  const driver = new TestDriver(ok);
  driver.pipeInput('right', { id: 1, k: 'a', ts: 100 });
  assert.throws(
    () => driver.pipeInput('left', { id: 13, k: 'a', ts: 100 }),
    (e: Error) => /unlucky thirteen/.test(e.message),
  );
  assert.deepEqual(driver.readOutput('out'), []);
});

test('after a restart from a checkpoint, the join keeps its state and judges lateness as before', () => {
  const plan = joinPipeline({ join: 'outer', within: 10, bounds: { left: 0, right: 0 }, lateness: 0 }).plan();
  const join = plan.nodes.find((n) => n.kind === 'streamStreamJoin')!;
  const sub = buildTopology(plan).subTopologies.find((s) => s.nodeIds.includes(join.id))!;
  const [leftTopic, rightTopic] = join.inputs.map((id) =>
    repartitionTopicName(plan.pipeline, plan.nodes[id]!),
  );
  // A task of the join's sub-topology, over stores that outlive it (as a changelog restores them).
  const { task, written } = restartableTask(plan, sub);
  const send = (graph: ReturnType<typeof task>, t: string, e: Event, watermark: number) => {
    for (const target of graph.inputs.get(t)!.targets) {
      target.process([new StreamRecord(e.k, e, e.ts, undefined)]);
      target.onWatermark(watermark, false);
    }
  };
  const before = task();
  send(before, leftTopic!, { id: 1, k: 'a', ts: 100 }, 100);
  send(before, rightTopic!, { id: 11, k: 'a', ts: 105 }, 105); // (1, 11); W 100
  send(before, leftTopic!, { id: 2, k: 'b', ts: 120 }, 120); // W 105
  send(before, rightTopic!, { id: 12, k: 'c', ts: 130 }, 130); // W 120: 1 and 11 dropped
  const checkpoint = JSON.parse(JSON.stringify(before.timeState()));

  const after = task();
  after.restoreTimeState(checkpoint);
  // Before any watermark of the new task: 101 + 0 < 120, late as it would have been before the restart.
  for (const target of after.inputs.get(rightTopic!)!.targets)
    target.process([new StreamRecord('b', { id: 13, k: 'b', ts: 101 }, 101, undefined)]);
  send(after, leftTopic!, { id: 3, k: 'c', ts: 125 }, 1000); // joins 12 from before the restart
  send(after, rightTopic!, { id: 14, k: 'd', ts: 990 }, 1000); // W 1000: (2, -) and 14 waits
  assert.deepEqual(written, [
    ['joined', { l: 1, r: 11, k: 'a' }, 105],
    ['late', { side: 'right', value: { id: 13, k: 'b', ts: 101 } }, 101],
    ['joined', { l: 3, r: 12, k: 'c' }, 130],
    ['joined', { l: 2, r: null, k: 'b' }, 120],
  ]);
  assert.deepEqual(after.lateRecords(), [["streamStreamJoin 'j'", 1]]);
});

test('hundreds of records of one key at one time (stored in chunks) join and are emitted unmatched as the reference says', () => {
  for (const join of ['inner', 'left', 'outer'] as const) {
    const params: Params = { join, within: 5, bounds: { left: 10, right: 10 }, lateness: 0 };
    const steps: Step[] = [];
    let id = 0;
    // 150 left and 70 right records of key 'hot' at ts 100, interleaved; 200 left of 'lonely' at ts 100.
    for (let i = 0; i < 150; i++) {
      steps.push({ side: 'left', e: { id: id++, k: 'hot', ts: 100 } });
      if (i % 2 === 0 && i < 140) steps.push({ side: 'right', e: { id: id++, k: 'hot', ts: 100 } });
    }
    for (let i = 0; i < 200; i++) steps.push({ side: 'left', e: { id: id++, k: 'lonely', ts: 100 } });
    steps.push(...flushSteps);
    const out = run(steps, params);
    const expected = reference(steps, params);
    assert.deepEqual([...out.outputs].sort(), [...expected.outputs].sort(), join);
    assert.equal(
      out.outputs.filter(
        (o) => JSON.parse(o)[1] === 'hot' && JSON.parse(o)[3] !== null && JSON.parse(o)[2] !== null,
      ).length,
      150 * 70,
    );
    assert.ok(onlyFlushState(out.store), JSON.stringify(out.store).slice(0, 200));
  }
});
