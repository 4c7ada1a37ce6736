import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { boundedOutOfOrder, json, type Pattern, pattern, pipeline, topic } from '../dsl/index.ts';
import { TestDriver } from './test-driver.ts';

/**
 * CEP patterns through the test driver against a brute-force matcher: for every key, every increasing
 * sequence of its records (in event-time order) and every way to assign them to the stages is checked
 * against the rules written declaratively: a strict stage's first record is the one right after the
 * previous record taken; a relaxed one (and every repetition of a stage) is the first later record
 * meeting the stage's condition; a stage takes any count of records between its minimum and maximum
 * (`times(n)`, `times(n, m)`, `oneOrMore()`: up to every record left within `within`), each count a
 * match of its own; a notFollowedBy stage allows no record meeting its condition between its
 * neighbours (or, last, before the deadline); optional stages may take nothing; all records of a match
 * are less than `within` after its first. Random patterns and out-of-order streams, 500 cases.
 */
interface Ev {
  id: number;
  k: string;
  kind: 'a' | 'b' | 'c';
  v: number;
  ts: number;
}

interface StageSpec {
  name: string;
  kind: 'a' | 'b' | 'c';
  contiguity: 'strict' | 'relaxed' | 'absent';
  /** Fewest and most records (`Infinity`: oneOrMore()); equal ones are built with times(n). */
  times: number;
  maxTimes: number;
  optional: boolean;
  /** The record's v must exceed the first record of the begin stage (a condition on earlier matches). */
  rising: boolean;
}

interface PatternSpec {
  stages: StageSpec[];
  within: number | undefined;
}

const FLUSH_TS = 1_000_000;

function condition(stage: StageSpec) {
  return (e: Ev, ctx: { matched: Readonly<Record<string, readonly Ev[]>> }) =>
    e.kind === stage.kind && (!stage.rising || e.v > (ctx.matched.s0?.[0]?.v ?? Number.NEGATIVE_INFINITY));
}

function build(spec: PatternSpec): Pattern<Ev> {
  let p = pattern<Ev>();
  spec.stages.forEach((s, i) => {
    const cond = condition(s);
    if (i === 0) p = p.begin(s.name, cond);
    else if (s.contiguity === 'strict') p = p.next(s.name, cond);
    else if (s.contiguity === 'relaxed') p = p.followedBy(s.name, cond);
    else p = p.notFollowedBy(s.name, cond);
    if (s.maxTimes === Number.POSITIVE_INFINITY) p = p.oneOrMore();
    else if (s.maxTimes > s.times) p = p.times(s.times, s.maxTimes);
    else if (s.times > 1) p = p.times(s.times);
    if (s.optional) p = p.optional();
  });
  return spec.within === undefined ? p : p.within(spec.within);
}

const patternArb: fc.Arbitrary<PatternSpec> = fc
  .record({
    count: fc.integer({ min: 1, max: 3 }),
    kinds: fc.array(fc.constantFrom('a' as const, 'b' as const, 'c' as const), {
      minLength: 4,
      maxLength: 4,
    }),
    strict: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    // Per stage: exactly n (times(n)), n to m (times(n, m)), or one or more (oneOrMore()).
    quantifiers: fc.array(
      fc.oneof(
        fc.integer({ min: 1, max: 3 }).map((n) => [n, n] as const),
        fc
          .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 }))
          .map(([n, extra]) => [n, n + extra] as const),
        fc.constant([1, Number.POSITIVE_INFINITY] as const),
      ),
      { minLength: 4, maxLength: 4 },
    ),
    optional: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    rising: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    absence: fc.constantFrom('none' as const, 'middle' as const, 'last' as const),
    within: fc.option(fc.integer({ min: 5, max: 60 }), { nil: undefined }),
    loopWithin: fc.integer({ min: 5, max: 60 }),
  })
  .map((r) => {
    const stages: StageSpec[] = [];
    for (let i = 0; i < r.count; i++)
      stages.push({
        name: `s${stages.length}`,
        kind: r.kinds[i]!,
        contiguity: i === 0 ? 'relaxed' : r.strict[i] ? 'strict' : 'relaxed',
        times: r.quantifiers[i]![0],
        maxTimes: r.quantifiers[i]![1],
        optional: i > 0 && r.optional[i]!,
        rising: i > 0 && r.rising[i]!,
      });
    const absent = (): StageSpec => ({
      name: `s${stages.length}`,
      kind: r.kinds[3]!,
      contiguity: 'absent',
      times: 1,
      maxTimes: 1,
      optional: false,
      rising: false,
    });
    if (r.absence === 'middle' && stages.length >= 2) {
      stages.splice(1, 0, absent());
      const after = stages[2]!;
      after.contiguity = 'relaxed';
      after.optional = false;
      stages.forEach((s, i) => {
        s.name = `s${i}`;
      });
    }
    if (r.absence === 'last') stages.push(absent());
    // A trailing absence needs its deadline, a oneOrMore its bound.
    const unbounded = stages.some((s) => s.maxTimes === Number.POSITIVE_INFINITY);
    const within =
      r.absence === 'last' ? (r.within ?? 30) : unbounded ? (r.within ?? r.loopWithin) : r.within;
    return { stages, within };
  });

/** All matches by brute force: every increasing assignment of records to stages, checked against the rules. */
function bruteForce(events: Ev[], spec: PatternSpec): string[] {
  const out: string[] = [];
  const { stages, within } = spec;
  for (const k of new Set(events.map((e) => e.k))) {
    const list = events.filter((e) => e.k === k);
    const ok = (start: number, e: Ev) => within === undefined || e.ts - start < within;
    // Stage s from record prev on, for a match that started at `start` with `matched` so far.
    const search = (s: number, prev: number, start: number, matched: Record<string, Ev[]>): void => {
      if (s === stages.length) {
        const all = Object.values(matched).flat();
        out.push(
          JSON.stringify({
            key: k,
            start,
            end: all.at(-1)!.ts,
            records: Object.fromEntries(Object.entries(matched).map(([n, l]) => [n, l.map((e) => e.id)])),
          }),
        );
        return;
      }
      const stage = stages[s]!;
      const cond = condition(stage);
      if (stage.contiguity === 'absent') {
        if (s === stages.length - 1) {
          // No record meeting it after the last taken one and before the deadline.
          const spoiled = list.some((e, i) => i > prev && e.ts < start + within! && cond(e, { matched }));
          if (!spoiled) search(s + 1, prev, start, matched);
          return;
        }
        const next = stages[s + 1]!;
        const nextCond = condition(next);
        // The next stage's first record: the first after prev meeting its condition; nothing meeting the
        // absent condition in between, nor that record itself.
        for (let j = prev + 1; j < list.length; j++) {
          const between = list.slice(prev + 1, j);
          if (between.some((e) => nextCond(e, { matched }))) break;
          if (list.slice(prev + 1, j + 1).some((e) => cond(e, { matched }))) break;
          if (!nextCond(list[j]!, { matched }) || !ok(start, list[j]!)) continue;
          takeRest(s + 1, 1, j, start, { ...matched, [next.name]: [list[j]!] });
        }
        return;
      }
      if (stage.optional) search(s + 1, prev, start, matched);
      takeRest(s, 0, prev, start, matched);
    };
    // Takes the remaining records of stage s (it has `taken` so far), moving on after each count allowed.
    const takeRest = (
      s: number,
      taken: number,
      prev: number,
      start: number,
      matched: Record<string, Ev[]>,
    ): void => {
      const stage = stages[s]!;
      // Every count from the minimum on completes the stage; below the maximum it may also take more.
      if (taken >= stage.times) search(s + 1, prev, start, matched);
      if (taken >= stage.maxTimes) return;
      const cond = condition(stage);
      const strict = taken === 0 && stage.contiguity === 'strict';
      for (let j = prev + 1; j < list.length; j++) {
        const e = list[j]!;
        if (strict && j !== prev + 1) break;
        // Relaxed: the first later record meeting the condition, so nothing before it may meet it.
        if (!strict && list.slice(prev + 1, j).some((x) => cond(x, { matched }))) break;
        if (!cond(e, { matched })) continue;
        if (!ok(start, e)) break;
        takeRest(s, taken + 1, j, start, { ...matched, [stage.name]: [...(matched[stage.name] ?? []), e] });
      }
    };
    list.forEach((e, i) => {
      const first = stages[0]!;
      if (!condition(first)(e, { matched: {} })) return;
      takeRest(0, 1, i, e.ts, { [first.name]: [e] });
    });
  }
  return out.sort();
}

const kindArb = fc.constantFrom('a' as const, 'b' as const, 'c' as const);

// Up to 14 records of one key or two. In each case half the records (drafts without `own`) take one
// kind, so that loops (times(n, m), oneOrMore) meet runs long enough to go past their minimum.
const eventsArb = fc
  .record({
    oneKey: fc.boolean(),
    often: kindArb,
    drafts: fc.array(
      fc.record({
        k: fc.constantFrom('x', 'y'),
        own: fc.boolean(),
        kind: kindArb,
        v: fc.integer({ min: 0, max: 9 }),
        step: fc.integer({ min: -6, max: 10 }),
      }),
      { maxLength: 14, size: 'max' },
    ),
  })
  .map(({ oneKey, often, drafts }) => {
    let max = 100;
    let ts = 100;
    return drafts.map((d, id): Ev => {
      ts = Math.max(max - 8, ts + d.step); // within the 8 ms bound: nothing is late
      max = Math.max(max, ts);
      return { id, k: oneKey ? 'x' : d.k, kind: d.own ? d.kind : often, v: d.v, ts };
    });
  });

function run(events: Ev[], spec: PatternSpec) {
  const p = pipeline('cep');
  const { matches, late } = p
    .from('events', topic('events', json<Ev>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(8))
    .keyBy((e) => e.k)
    .match('find', build(spec));
  matches.to('out', topic('matches', json()));
  late.to('late', topic('late-events', json<Ev>()));
  const driver = new TestDriver(p);
  for (const e of events) driver.pipeInput('events', e);
  for (const k of ['x', 'y']) driver.pipeInput('events', { id: -1, k, kind: 'c', v: 0, ts: FLUSH_TS });
  return {
    matches: driver
      .readOutput('matches')
      .map((r) => r.value as { key: string; start: number; end: number; records: Record<string, Ev[]> })
      .map((m) =>
        JSON.stringify({
          key: m.key,
          start: m.start,
          end: m.end,
          records: Object.fromEntries(Object.entries(m.records).map(([n, l]) => [n, l.map((e) => e.id)])),
        }),
      )
      .filter((m) => !m.includes('-1'))
      .sort(),
    late: driver.readOutput('late-events'),
  };
}

test('patterns equal a brute-force matcher over every subsequence (strict, relaxed, times, times(n, m), oneOrMore, optional, notFollowedBy, within)', () => {
  fc.assert(
    fc.property(patternArb, eventsArb, (spec, events) => {
      const ordered = [...events].sort((a, b) => a.ts - b.ts || a.id - b.id);
      const out = run(events, spec);
      assert.deepEqual(out.late, []);
      assert.deepEqual(out.matches, bruteForce(ordered, spec));
    }),
    { numRuns: 500 },
  );
});

test('absence fires at its deadline, by the watermark: two declines and no approval within 10', () => {
  const p = pipeline('absence');
  const { matches, late } = p
    .from('events', topic('events', json<Ev>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .keyBy((e) => e.k)
    .match(
      'unapproved',
      pattern<Ev>()
        .begin('declined', (e) => e.kind === 'a')
        .times(2)
        .notFollowedBy('approved', (e) => e.kind === 'b')
        .within(10),
    );
  matches.to('out', topic('alerts', json()));
  late.to('late', topic('late-events', json<Ev>()));
  const driver = new TestDriver(p);
  const send = (id: number, k: string, kind: Ev['kind'], ts: number) =>
    driver.pipeInput('events', { id, k, kind, v: 0, ts });
  send(0, 'x', 'a', 100);
  send(1, 'x', 'a', 103);
  send(2, 'x', 'c', 109);
  assert.deepEqual(driver.readOutput('alerts'), [], 'the watermark (109) has not reached the deadline (110)');
  send(3, 'x', 'b', 110);
  // The watermark is 110: every record before the deadline is in; the approval at 110 is too late.
  const alerts = driver
    .readOutput('alerts')
    .map((r) => r.value as { end: number; records: Record<string, Ev[]> });
  assert.deepEqual(
    alerts.map((a) => a.records.declined?.map((e) => e.id)),
    [[0, 1]],
  );
  assert.equal(alerts[0]?.end, 103);
  // An approval before its deadline prevents the alert.
  send(4, 'y', 'a', 200);
  send(5, 'y', 'a', 201);
  send(6, 'y', 'b', 209);
  send(7, 'y', 'c', 300);
  assert.deepEqual(driver.readOutput('alerts'), []);
  // A record older than what its key already matched is late, not matched out of order.
  send(8, 'x', 'a', 105);
  assert.deepEqual(
    driver.readOutput('late-events').map((r) => (r.value as Ev).id),
    [8],
  );
});

test('times(1, 3) emits every count up to 3; oneOrMore() every count less than within after the first', () => {
  const ids = (r: { value: unknown }) =>
    Object.fromEntries(
      Object.entries((r.value as { records: Record<string, Ev[]> }).records).map(([n, l]) => [
        n,
        l.map((e) => e.id),
      ]),
    );
  const p = pipeline('loops');
  const keyed = p
    .from('events', topic('events', json<Ev>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .keyBy((e) => e.k);
  const ranged = keyed.match(
    'ranged',
    pattern<Ev>()
      .begin('start', (e) => e.kind === 'b')
      .followedBy('as', (e) => e.kind === 'a')
      .times(1, 3),
  );
  ranged.matches.to('out', topic('ranged', json()));
  const looped = keyed.match(
    'looped',
    pattern<Ev>()
      .begin('start', (e) => e.kind === 'b')
      .followedBy('as', (e) => e.kind === 'a')
      .oneOrMore()
      .followedBy('end', (e) => e.kind === 'c')
      .within(10),
  );
  looped.matches.to('out2', topic('looped', json()));
  const driver = new TestDriver(p);
  const send = (id: number, kind: Ev['kind'], ts: number) =>
    driver.pipeInput('events', { id, k: 'x', kind, v: 0, ts });
  send(0, 'b', 100);
  send(1, 'a', 101);
  send(2, 'a', 103);
  send(3, 'c', 104);
  send(4, 'a', 106);
  send(5, 'c', 108);
  send(6, 'a', 109);
  send(7, 'c', 110); // 10 after the start: outside within
  send(8, 'a', 111);
  send(9, 'c', 200); // moves the watermark past everything
  // a1, then a2 (c3 skipped), then a4; a6 and a8 would make four.
  assert.deepEqual(driver.readOutput('ranged').map(ids), [
    { start: [0], as: [1] },
    { start: [0], as: [1, 2] },
    { start: [0], as: [1, 2, 4] },
  ]);
  // Each count of a's ends at the first c after its last a; [1, 2, 4, 6] would end at c7, too late.
  assert.deepEqual(driver.readOutput('looped').map(ids), [
    { start: [0], as: [1], end: [3] },
    { start: [0], as: [1, 2], end: [3] },
    { start: [0], as: [1, 2, 4], end: [5] },
  ]);
});

test('times(n, m) and oneOrMore() reject bad bounds; oneOrMore() needs within', () => {
  const a = (e: Ev) => e.kind === 'a';
  const begun = pattern<Ev>().begin('first', a);
  assert.throws(() => begun.times(0, 2), { name: 'TypeError', message: /needs an integer n >= 1, got 0/ });
  assert.throws(() => begun.times(1.5, 2), {
    name: 'TypeError',
    message: /needs an integer n >= 1, got 1.5/,
  });
  assert.throws(() => begun.times(3, 2), {
    name: 'TypeError',
    message: /needs an integer m >= n \(3\), got 2/,
  });
  assert.throws(() => begun.times(1, 2.5), { name: 'TypeError', message: /m >= n \(1\), got 2.5/ });
  assert.throws(() => begun.times(1, Number.POSITIVE_INFINITY), {
    name: 'TypeError',
    message: /finite m; use oneOrMore\(\)/,
  });
  const absent = begun.notFollowedBy('none', a);
  assert.throws(() => absent.times(1, 2), { name: 'TypeError', message: /times\(\) on a notFollowedBy/ });
  assert.throws(() => absent.oneOrMore(), { name: 'TypeError', message: /oneOrMore\(\) on a notFollowedBy/ });
  assert.deepEqual(
    begun.times(2, 4).stages.map((s) => [s.times, s.maxTimes]),
    [[2, 4]],
  );
  assert.deepEqual(
    begun.oneOrMore().stages.map((s) => [s.times, s.maxTimes]),
    [[1, Number.POSITIVE_INFINITY]],
  );
  const keyed = pipeline('unbounded')
    .from('events', topic('events', json<Ev>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .keyBy((e) => e.k);
  assert.throws(() => keyed.match('loop', begun.oneOrMore()), {
    name: 'TypeError',
    message: /oneOrMore\(\) on 'first' needs within/,
  });
  keyed.match('bounded', begun.oneOrMore().within(5));
});
