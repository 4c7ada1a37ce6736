import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { json, pipeline, text, topic } from '../dsl/index.ts';
import { TestDriver } from './test-driver.ts';

/**
 * Table-table joins through the test driver against a nested-loop reference. The rule checked: after
 * every input change, the join's store equals the nested-loop join of the two tables as they are at
 * that moment (a joiner's null or undefined: no row), and the changelog emitted for that change is
 * exactly the difference from the join before it: the key's new row when it appeared or changed (as
 * JSON), a null when it disappeared, nothing otherwise; with the change's key and timestamp.
 */
type JoinKind = 'inner' | 'left' | 'outer';
type Joiner = (left: unknown, right: unknown, key: string) => unknown;
type Rows = Map<string, unknown>;

const KEYS = ['a', 'b', 'c', 'é'];

/** The tables' keys in the store's order: UTF-8 bytes. */
function sorted(rows: Rows): Array<[string, unknown]> {
  return [...rows].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The join by nested loops over the rows of both tables; a null or undefined result is no row. */
function nestedLoopJoin(kind: JoinKind, joiner: Joiner, left: Rows, right: Rows): Rows {
  const out: Rows = new Map();
  const put = (key: string, row: unknown): void => {
    if (row !== null && row !== undefined) out.set(key, row);
  };
  for (const [lk, l] of left) {
    let matched = false;
    for (const [rk, r] of right)
      if (lk === rk) {
        matched = true;
        put(lk, joiner(l, r, lk));
      }
    if (!matched && kind !== 'inner') put(lk, joiner(l, undefined, lk));
  }
  if (kind === 'outer')
    for (const [rk, r] of right) {
      let matched = false;
      for (const lk of left.keys()) if (lk === rk) matched = true;
      if (!matched) put(rk, joiner(undefined, r, rk));
    }
  return out;
}

/** What a changelog says between two versions of a table: per key, the new row or a null. */
function diff(before: Rows, after: Rows): Array<[string, unknown]> {
  const changes: Array<[string, unknown]> = [];
  for (const key of KEYS) {
    const was = before.get(key);
    const is = after.get(key);
    if (is === undefined) {
      if (was !== undefined) changes.push([key, null]);
    } else if (JSON.stringify(was) !== JSON.stringify(is)) changes.push([key, is]);
  }
  return changes;
}

/** Applies a table change (null deletes). */
function apply(rows: Rows, key: string, value: unknown): void {
  if (value === null) rows.delete(key);
  else rows.set(key, value);
}

// The joiners: non-injective (equal rows from different inputs), with a null (no row) and a 0 row.
const joiners: Record<string, { kind: JoinKind; self?: true; fn: Joiner }> = {
  'inner-join': {
    kind: 'inner',
    fn: (l, r) => ((l as number) + (r as number) === 3 ? null : (l as number) * (r as number)),
  },
  'left-join': { kind: 'left', fn: (l, r, key) => ({ key, l, r: r ?? null }) },
  'outer-join': { kind: 'outer', fn: (l, r) => [l ?? null, r === undefined ? null : (r as number) % 2] },
  // A table joined with itself: both sides get every change, the second finds nothing new.
  'self-join': { kind: 'inner', self: true, fn: (l, r) => (l as number) + (r as number) },
};

interface Change {
  side: 'left' | 'right';
  key: string;
  value: number | null;
}

const changesArb: fc.Arbitrary<Change[]> = fc.array(
  fc.record({
    side: fc.constantFrom('left' as const, 'right' as const),
    key: fc.constantFrom(...KEYS),
    value: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 3 }),
  }),
  { maxLength: 40 },
);

function tableJoinsPipeline() {
  const p = pipeline('table-joins');
  const left = p.table('left', topic('left', json<number>(), { key: text() }));
  const right = p.table('right', topic('right', json<number>(), { key: text() }));
  for (const [name, { kind, self, fn }] of Object.entries(joiners)) {
    const other = self === true ? left : right;
    const joined =
      kind === 'inner'
        ? left.join(name, other, fn)
        : kind === 'left'
          ? left.leftJoin(name, other, fn)
          : left.outerJoin(name, other, fn);
    joined.toStream().to(`${name}-out`, topic(`${name}-changes`, json(), { key: text() }));
  }
  return p;
}

test('inner, left and outer table-table joins equal a nested-loop join after every change, and emit exactly the difference (property)', () => {
  fc.assert(
    fc.property(changesArb, (changes) => {
      const driver = new TestDriver(tableJoinsPipeline());
      const tables = { left: new Map() as Rows, right: new Map() as Rows };
      const joinOf = (name: string): Rows => {
        const { kind, self, fn } = joiners[name]!;
        return nestedLoopJoin(kind, fn, tables.left, self === true ? tables.left : tables.right);
      };
      const joined = new Map(Object.keys(joiners).map((name) => [name, joinOf(name)]));
      changes.forEach((change, i) => {
        const timestamp = 1000 + i;
        driver.pipeInput(change.side, change.value, { key: change.key, timestamp });
        apply(tables[change.side], change.key, change.value);
        for (const name of Object.keys(joiners)) {
          const before = joined.get(name)!;
          const after = joinOf(name);
          joined.set(name, after);
          assert.deepEqual(driver.storeEntries(name), sorted(after), `${name} store after change ${i}`);
          assert.deepEqual(
            driver.readOutput(`${name}-changes`).map((r) => [r.key, r.value, r.timestamp]),
            diff(before, after).map(([key, row]) => [key, JSON.parse(JSON.stringify(row)), timestamp]),
            `${name} changelog of change ${i}`,
          );
        }
      });
    }),
    { numRuns: 500 },
  );
});

interface Step {
  kind: 'customer' | 'tier' | 'order';
  key: string;
  value: string | number | null;
}

const stepsArb: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant('customer' as const),
      key: fc.constantFrom('a', 'b', 'c'),
      value: fc.option(fc.constantFrom('ann', 'bob'), { nil: null, freq: 3 }),
    }),
    fc.record({
      kind: fc.constant('tier' as const),
      key: fc.constantFrom('a', 'b', 'c'),
      value: fc.option(fc.constantFrom('gold', 'silver'), { nil: null, freq: 3 }),
    }),
    fc.record({
      kind: fc.constant('order' as const),
      key: fc.constantFrom('a', 'b', 'c', 'd'),
      value: fc.integer({ min: 1, max: 9 }),
    }),
  ),
  { maxLength: 40 },
);

interface Profile {
  name: string;
  tier: string;
}

const profileOf = (name: string, tier: string | undefined): Profile => ({ name, tier: tier ?? 'basic' });
const chainOf = (profile: Profile | undefined, tier: string | undefined): string =>
  `${profile?.name ?? '-'}/${profile?.tier ?? '-'}@${tier ?? '-'}`;

test('a table-table join is a table: mapValues, filter, another table join and stream-table joins use it (property)', () => {
  const p = pipeline('joined-tables');
  const customers = p.table('customers', topic('customers', json<string>(), { key: text() }));
  const tiers = p.table('tiers', topic('tiers', json<string>(), { key: text() }));
  const profiles = customers.leftJoin('profiles', tiers, (name, tier) => profileOf(name, tier));
  profiles.mapValues('labels', (profile, key) => `${key}:${profile.name}`);
  profiles.filter('golds', (profile) => profile.tier === 'gold');
  // Joins tiers a second time: a tier change reaches both joins, in one task.
  const chained = profiles.outerJoin('chained', tiers, chainOf);
  const orders = p.from('orders', topic('orders', json<number>(), { key: text() })).groupByKey();
  orders
    .join(profiles, (qty, profile, key) => ({ key, qty, name: profile.name, tier: profile.tier }))
    .to('profiled-out', topic('profiled', json()));
  orders
    .leftJoin(chained, (qty, chain) => ({ qty, chain: chain ?? null }))
    .to('chained-out', topic('chains', json()));
  const plan = p.plan();

  fc.assert(
    fc.property(stepsArb, (steps) => {
      const driver = new TestDriver(plan);
      const customerRows: Rows = new Map();
      const tierRows: Rows = new Map();
      for (const [i, step] of steps.entries()) {
        const topicName = step.kind === 'customer' ? 'customers' : step.kind === 'tier' ? 'tiers' : 'orders';
        driver.pipeInput(topicName, step.value, { key: step.key });
        if (step.kind === 'customer') apply(customerRows, step.key, step.value);
        if (step.kind === 'tier') apply(tierRows, step.key, step.value);
        const expectedProfiles = nestedLoopJoin(
          'left',
          (name, tier) => profileOf(name as string, tier as string | undefined),
          customerRows,
          tierRows,
        );
        const expectedChained = nestedLoopJoin(
          'outer',
          (profile, tier) => chainOf(profile as Profile | undefined, tier as string | undefined),
          expectedProfiles,
          tierRows,
        );
        const at = `after step ${i}`;
        assert.deepEqual(driver.storeEntries('profiles'), sorted(expectedProfiles), at);
        assert.deepEqual(driver.storeEntries('chained'), sorted(expectedChained), at);
        assert.deepEqual(
          driver.storeEntries('labels'),
          sorted(new Map([...expectedProfiles].map(([k, v]) => [k, `${k}:${(v as Profile).name}`]))),
          at,
        );
        assert.deepEqual(
          driver.storeEntries('golds'),
          sorted(new Map([...expectedProfiles].filter(([, v]) => (v as Profile).tier === 'gold'))),
          at,
        );
        const profiled = driver.readOutput('profiled').map((r) => r.value);
        const chains = driver.readOutput('chains').map((r) => r.value);
        if (step.kind !== 'order') {
          assert.deepEqual([profiled, chains], [[], []], at);
          continue;
        }
        const profile = expectedProfiles.get(step.key) as Profile | undefined;
        assert.deepEqual(
          profiled,
          profile === undefined ? [] : [{ key: step.key, qty: step.value, ...profile }],
          at,
        );
        assert.deepEqual(chains, [{ qty: step.value, chain: expectedChained.get(step.key) ?? null }], at);
      }
    }),
    { numRuns: 300 },
  );
});

test('table-table joins: key formats must match, tables must be table nodes of one pipeline; keyed and aggregated tables join', () => {
  const mismatched = pipeline('mismatched');
  const byText = mismatched.table('by-text', topic('by-text', json<number>(), { key: text() }));
  const byJson = mismatched.table('by-json', topic('by-json', json<number>(), { key: json<string>() }));
  byText.join('mixed', byJson, (a, b) => a + b);
  const issues = mismatched.validate();
  assert.deepEqual(
    issues.map((i) => i.code),
    ['KEY_FORMAT_MISMATCH'],
  );
  assert.match(issues[0]!.message, /'by-text'.*string.*'by-json'.*json/);

  const other = pipeline('other').table('elsewhere', topic('elsewhere', json<number>(), { key: text() }));
  assert.throws(() => byText.join('across', other, (a, b) => a + b), TypeError);

  // An aggregation's own table is not a table node the join can follow; its mapValues is.
  const p = pipeline('keyed-tables');
  const users = p.table('users', topic('users', json<string>(), { key: json<string>() }));
  const counts = p
    .from('events', topic('events', json<{ user: string; n: number }>()))
    .keyBy((e) => e.user)
    .count('counts');
  users.join('user-counts-raw', counts, (name, n) => `${name}:${n}`);
  assert.deepEqual(
    p.validate().map((i) => [i.code, /mapValues/.test(i.message)]),
    [['INVALID_ARGUMENT', true]],
  );

  const q = pipeline('keyed-tables');
  const qUsers = q.table('users', topic('users', json<string>(), { key: json<string>() }));
  const qByUser = q.from('events', topic('events', json<{ user: string; n: number }>())).keyBy((e) => e.user);
  const qLatest = qByUser.toTable('latest');
  const qCounts = qByUser.count('counts').mapValues('count-rows', (n) => n);
  const withLatest = qUsers.leftJoin('with-latest', qLatest, (name, e) => ({ name, n: e?.n ?? null }));
  withLatest.outerJoin('with-counts', qCounts, (row, count) => ({
    name: row?.name ?? null,
    count: count ?? 0,
  }));
  assert.deepEqual(q.validate(), []);
  const explained = q.explain();
  assert.match(explained, /repartition/);
  assert.match(
    explained,
    /left table-table join 'with-latest' \(left <- table 'users', right <- table 'latest'\) \[store with-latest\]/,
  );
  assert.match(explained, /outer table-table join 'with-counts' .*\[store with-counts\]/);
  assert.match(explained, /store with-counts of 'with-counts'/);

  const driver = new TestDriver(q);
  const events: Array<{ user: string; n: number }> = [
    { user: 'u1', n: 5 },
    { user: 'u2', n: 7 },
    { user: 'u1', n: 6 },
  ];
  driver.pipeInput('users', 'Ann', { key: 'u1' });
  for (const e of events) driver.pipeInput('events', e);
  const lastN = (user: string) => events.filter((e) => e.user === user).at(-1)?.n ?? null;
  const countOf = (user: string) => events.filter((e) => e.user === user).length;
  assert.deepEqual(driver.storeEntries('with-latest'), [['u1', { name: 'Ann', n: lastN('u1') }]]);
  assert.deepEqual(driver.storeEntries('with-counts'), [
    ['u1', { name: 'Ann', count: countOf('u1') }],
    ['u2', { name: null, count: countOf('u2') }],
  ]);
});

test('a throwing joiner fails the change and leaves the joined row as it was', () => {
  const p = pipeline('throwing-join');
  const left = p.table('left', topic('left', json<number>(), { key: text() }));
  const right = p.table('right', topic('right', json<string>(), { key: text() }));
  const joined = left.join('joined', right, (l, r) => {
    if (l === 13) throw new Error('unlucky thirteen');
    return `${r}${l}`;
  });
  joined.toStream().to('out', topic('out', json(), { key: text() }));
  const driver = new TestDriver(p);
  const changes = () => driver.readOutput('out').map((r) => [r.key, r.value]);
  driver.pipeInput('right', 'r', { key: 'k' });
  driver.pipeInput('left', 1, { key: 'k' });
  assert.deepEqual(changes(), [['k', 'r1']]);
  assert.throws(
    () => driver.pipeInput('left', 13, { key: 'k' }),
    (e: Error) => /joined/.test(e.message) && /unlucky thirteen/.test(e.message),
  );
  assert.deepEqual(changes(), []);
  assert.deepEqual(driver.storeEntries('left'), [['k', 13]]);
  assert.deepEqual(driver.storeEntries('joined'), [['k', 'r1']]);
  // A right change meets the left row 13 and fails too; a left change recomputes from both tables.
  assert.throws(() => driver.pipeInput('right', 's', { key: 'k' }), /unlucky thirteen/);
  assert.deepEqual(driver.storeEntries('joined'), [['k', 'r1']]);
  driver.pipeInput('left', 2, { key: 'k' });
  assert.deepEqual(changes(), [['k', 's2']]);
  assert.deepEqual(driver.storeEntries('joined'), [['k', 's2']]);
});
