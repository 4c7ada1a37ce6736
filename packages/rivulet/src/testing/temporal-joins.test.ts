import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { boundedOutOfOrder, json, pipeline, text, topic } from '../dsl/index.ts';
import { buildTopology } from '../plan/index.ts';
import { StreamRecord } from '../runtime/index.ts';
import { restartableTask } from './test/restartable-task.ts';
import { TestDriver } from './test-driver.ts';

/**
 * Temporal joins (`joinAsOf`, `leftJoinAsOf`) through the test driver, one record per step, against a
 * reference written from the rules, not from the operator:
 * - the join's watermark after a step is the max so far of min(stream's, table's), a side's being its
 *   largest time so far minus its bound (none until both sides had a record);
 * - a stream record is late when its time is below the watermark after the step before it; a table
 *   version when its time is below that watermark minus the history;
 * - every other stream record is emitted with its own time at the first step (from its own on) whose
 *   watermark is above its time, joined with the version of its key with the largest time <= its own
 *   among the versions that are not late and arrived by that step (of two at the same time, the one that
 *   arrived later); a deletion, or no version: no row (inner: no output; left: row null).
 * Outputs are compared with their step, so "when" is checked too, not just "what".
 */
interface Version {
  id: number;
  k: string;
  ts: number;
  /** The row's value (the version's own id), or null: a deletion. */
  v: number | null;
}

interface Order {
  id: number;
  k: string;
  ts: number;
}

type Step = { side: 'table'; e: Version } | { side: 'stream'; e: Order };

interface Params {
  join: 'inner' | 'left';
  bounds: { stream: number; table: number };
  history: number;
}

/** What the joiner returns: the order, its key and the row it saw (null for none). */
interface Joined {
  id: number;
  k: string;
  row: number | null;
}

const FLUSH_TS = 1_000_000;
const flushSteps: Step[] = [
  { side: 'table', e: { id: -1, k: 'flush', ts: FLUSH_TS, v: -1 } },
  { side: 'stream', e: { id: -2, k: 'flush', ts: FLUSH_TS } },
];

/**
 * Versions keyed by keyBy (so through a repartition topic) into a table of whole events, mapped to
 * their `v` (a null deletes the key); orders keyed by keyBy too.
 */
function joinPipeline({ join, bounds, history }: Params) {
  const p = pipeline('temporal-joins');
  const rows = p
    .from('versions', topic('versions', json<Version>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(bounds.table))
    .keyBy((e) => e.k)
    .toTable('events')
    .mapValues('rows', (e) => e.v);
  const orders = p
    .from('orders', topic('orders', json<Order>()))
    .eventTime((o) => o.ts, boundedOutOfOrder(bounds.stream))
    .keyBy((o) => o.k);
  const joined =
    join === 'inner'
      ? orders.joinAsOf('j', rows, (o, row, k): Joined => ({ id: o.id, k, row }), { history })
      : orders.leftJoinAsOf('j', rows, (o, row, k): Joined => ({ id: o.id, k, row: row ?? null }), {
          history,
        });
  joined.to('out', topic('joined', json<Joined>()));
  joined.late.to('late-out', topic('late', json()));
  return p;
}

/** An output as compared: its step, order id, key, row and timestamp. */
const outputId = (step: number, j: Joined, ts: number) => JSON.stringify([step, j.id, j.k, j.row, ts]);

function run(steps: Step[], params: Params) {
  const driver = new TestDriver(joinPipeline(params));
  const outputs: string[] = [];
  const late: number[] = [];
  for (const [i, { side, e }] of steps.entries()) {
    driver.pipeInput(side === 'table' ? 'versions' : 'orders', e);
    for (const r of driver.readOutput('joined')) {
      const j = r.value as Joined;
      assert.equal(r.key, j.k, 'results keep the key');
      outputs.push(outputId(i, j, r.timestamp));
    }
    for (const r of driver.readOutput('late')) {
      const v = r.value as { side: 'left' | 'right'; value: unknown };
      assert.equal(v.side, side === 'stream' ? 'left' : 'right', 'a late record is reported at its step');
      assert.equal(r.timestamp, e.ts, 'a late record keeps its time');
      assert.equal(r.key, e.k, 'a late record keeps its key');
      assert.deepEqual(v.value, side === 'stream' ? e : (e as Version).v);
      late.push(i);
    }
  }
  return { outputs, late, store: decodeStore(driver.storeEntries('j')) };
}

/** The join's store by the layout its contract gives: prefix letter, key JSON, time; and the value. */
function decodeStore(entries: Array<[unknown, unknown]>) {
  return entries.map(([key, value]) => {
    const bytes = Buffer.from(key as Uint8Array);
    const kind = String.fromCharCode(bytes[0]!);
    const [json, t] =
      kind === 'V'
        ? [bytes.subarray(1, bytes.length - 9), bytes.readBigUInt64BE(bytes.length - 8)]
        : [bytes.subarray(9), bytes.readBigUInt64BE(1)];
    return { kind, key: JSON.parse(json.toString()) as string, t: Number(t), value };
  });
}

function reference(steps: Step[], { join, bounds, history }: Params) {
  const max = { stream: Number.NEGATIVE_INFINITY, table: Number.NEGATIVE_INFINITY };
  const watermarks: number[] = [];
  const late = new Set<number>();
  let watermark = Number.NEGATIVE_INFINITY;
  for (const [i, { side, e }] of steps.entries()) {
    if (e.ts < (side === 'stream' ? watermark : watermark - history)) late.add(i);
    max[side] = Math.max(max[side], e.ts);
    watermark = Math.max(watermark, Math.min(max.stream - bounds.stream, max.table - bounds.table));
    watermarks.push(watermark);
  }
  /** The version of key k valid at t among those not late that arrived by step `by`. */
  const versionAt = (k: string, t: number, by: number): Version | undefined => {
    let found: Version | undefined;
    for (const [j, step] of steps.entries()) {
      if (j > by || late.has(j) || step.side !== 'table' || step.e.k !== k || step.e.ts > t) continue;
      if (found === undefined || step.e.ts >= found.ts) found = step.e;
    }
    return found;
  };
  const outputs: string[] = [];
  for (const [i, { side, e }] of steps.entries()) {
    if (side !== 'stream' || late.has(i)) continue;
    const at = watermarks.findIndex((w, s) => s >= i && w > e.ts);
    if (at < 0) continue;
    const row = versionAt(e.k, e.ts, at)?.v ?? null;
    if (row === null && join === 'inner') continue;
    outputs.push(outputId(at, { id: e.id, k: e.k, row }, e.ts));
  }
  /** Per key, its latest version (not late): what state may keep once every record was joined. */
  const latest = new Map<string, Version>();
  for (const [j, step] of steps.entries())
    if (step.side === 'table' && !late.has(j)) {
      const known = latest.get(step.e.k);
      if (known === undefined || step.e.ts >= known.ts) latest.set(step.e.k, step.e);
    }
  return { outputs, late: [...late], latest };
}

/**
 * After the flush: for every other key, nothing but its latest version, when that is a value (a
 * deletion is forgotten once the watermark is `history` past it, which the flush makes sure of).
 */
function assertBoundedState(store: ReturnType<typeof decodeStore>, latest: Map<string, Version>) {
  const kept = store.filter((entry) => entry.key !== 'flush');
  const expected = [...latest.values()]
    .filter((version) => version.k !== 'flush' && version.v !== null)
    .map((version) => ({ kind: 'V', key: version.k, t: version.ts, value: { v: version.v } }))
    .sort((a, b) => a.key.localeCompare(b.key));
  assert.deepEqual(kept, expected);
}

/** A side's records, built by `make`; with `bounded`, none is more than `bound` behind its side's newest. */
function sideArb<E>(
  bound: number,
  bounded: boolean,
  keys: readonly string[],
  make: (i: number, k: string, ts: number, deleted: boolean) => E,
): fc.Arbitrary<E[]> {
  // Beyond the bounds: now and then a jump back of up to 30.
  const step = bounded
    ? fc.integer({ min: -8, max: 6 })
    : fc.oneof(
        { arbitrary: fc.integer({ min: -4, max: 12 }), weight: 6 },
        { arbitrary: fc.integer({ min: -30, max: -5 }), weight: 1 },
      );
  return fc
    .array(fc.record({ k: fc.constantFrom(...keys), step, deleted: fc.integer({ min: 0, max: 3 }) }), {
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
        return make(i, d.k, ts, d.deleted === 0);
      });
    });
}

/** The two sides merged: each flag takes the next record of its side (the other once one is used up). */
function interleave(versions: Version[], orders: Order[], flags: boolean[]): Step[] {
  const steps: Step[] = [];
  let [v, o] = [0, 0];
  for (let i = 0; v < versions.length || o < orders.length; i++) {
    const takeVersion = o >= orders.length || (v < versions.length && (flags[i] ?? i % 2 === 0));
    steps.push(takeVersion ? { side: 'table', e: versions[v++]! } : { side: 'stream', e: orders[o++]! });
  }
  return [...steps, ...flushSteps];
}

/** Parameters and both sides over 2 or 3 keys; with `bounded`, each side keeps within its bound. */
const caseArb = (bounded: boolean) =>
  fc
    .record({
      join: fc.constantFrom<Params['join']>('inner', 'left'),
      stream: fc.integer({ min: 0, max: 12 }),
      table: fc.integer({ min: 0, max: 12 }),
      history: fc.integer({ min: 0, max: 15 }),
      keys: fc.constantFrom(['a', 'b'], ['a', 'b', 'c']),
    })
    .chain(({ join, stream, table, history, keys }) =>
      fc.record({
        params: fc.constant<Params>({ join, bounds: { stream, table }, history }),
        versions: sideArb(
          table,
          bounded,
          keys,
          (i, k, ts, deleted): Version => ({
            id: i,
            k,
            ts,
            v: deleted ? null : i,
          }),
        ),
        orders: sideArb(stream, bounded, keys, (i, k, ts): Order => ({ id: 1000 + i, k, ts })),
        flags: fc.tuple(
          fc.array(fc.boolean(), { maxLength: 60, size: 'medium' }),
          fc.array(fc.boolean(), { maxLength: 60, size: 'medium' }),
        ),
      }),
    );

const withoutSteps = (outputs: string[]) =>
  outputs.map((o) => JSON.stringify((JSON.parse(o) as unknown[]).slice(1))).sort();

test('within the out-of-orderness bounds: every order joins the version valid at its time, emitted once the watermark passes it, whatever the interleaving; state keeps the latest versions only (property)', () => {
  fc.assert(
    fc.property(caseArb(true), ({ params, versions, orders, flags }) => {
      const [first, second] = flags.map((f) => interleave(versions, orders, f)) as [Step[], Step[]];
      const a = run(first, params);
      const b = run(second, params);
      const expected = reference(first, params);
      assert.deepEqual(a.late, []);
      assert.deepEqual(b.late, []);
      assert.deepEqual([...a.outputs].sort(), [...expected.outputs].sort());
      assert.deepEqual([...b.outputs].sort(), [...reference(second, params).outputs].sort());
      // The same results, whichever way the versions and the orders interleaved.
      assert.deepEqual(withoutSteps(a.outputs), withoutSteps(b.outputs));
      if (params.join === 'left') assert.equal(a.outputs.length, orders.length, 'every order has a result');
      assertBoundedState(a.store, expected.latest);
      assertBoundedState(b.store, reference(second, params).latest);
    }),
    { numRuns: 500 },
  );
});

test('beyond the bounds: late orders and versions go to `late` exactly once, late versions are never used, and no order is lost (property)', () => {
  fc.assert(
    fc.property(caseArb(false), ({ params, versions, orders, flags }) => {
      const steps = interleave(versions, orders, flags[0]);
      const out = run(steps, params);
      const expected = reference(steps, params);
      assert.deepEqual(out.late, expected.late);
      assert.deepEqual([...out.outputs].sort(), [...expected.outputs].sort());
      // Conservation: an order is late, or joined once (left: always; inner: when it had a row).
      const joined = out.outputs.map((o) => (JSON.parse(o) as [number, number])[1]);
      assert.equal(new Set(joined).size, joined.length, 'an order is joined at most once');
      for (const [i, step] of steps.entries()) {
        if (step.side !== 'stream' || step.e.k === 'flush') continue;
        const isLate = out.late.includes(i);
        if (isLate) assert.ok(!joined.includes(step.e.id), `order ${step.e.id} is late and joined`);
        else if (params.join === 'left') assert.ok(joined.includes(step.e.id), `order ${step.e.id} is lost`);
      }
      assertBoundedState(out.store, expected.latest);
    }),
    { numRuns: 500 },
  );
});

test('by hand: out-of-order versions, a version at the order time, tombstones, waiting while the watermark equals t, late orders and versions, history', () => {
  interface Rate {
    ts: number;
    rate: number;
  }
  const build = (join: 'inner' | 'left') => {
    const p = pipeline('by-hand');
    // A tombstone has no value to take its time from: it keeps the producer's timestamp.
    const rates = p
      .from('rates', topic('rates', json<Rate>(), { key: text() }))
      .eventTime((r, ctx) => r?.ts ?? ctx.timestamp, boundedOutOfOrder(10))
      .groupByKey()
      .toTable('rates');
    const orders = p
      .from('orders', topic('orders', json<Order>(), { key: text() }))
      .eventTime((o) => o.ts, boundedOutOfOrder(0))
      .groupByKey();
    const joiner = (o: Order, r: Rate | undefined, k: string) => ({ id: o.id, k, rate: r?.rate ?? null });
    const joined =
      join === 'inner'
        ? orders.joinAsOf('converted', rates, joiner, { history: 5 })
        : orders.leftJoinAsOf('converted', rates, joiner, { history: 5 });
    joined.to('out', topic('out', json()));
    joined.late.to('late', topic('late', json()));
    return p;
  };
  const R = (k: string, ts: number, rate: number | null) => ({
    topic: 'rates',
    k,
    ts,
    value: rate === null ? null : { ts, rate },
  });
  const O = (k: string, id: number, ts: number) => ({ topic: 'orders', k, ts, value: { id, k, ts } });
  // W = max so far of min(newest order, newest rate - 10); history 5.
  const steps = [
    R('a', 100, 1), //   0: W none
    O('a', 1, 105), //   1: W 90: #1 waits
    R('a', 104, 2), //   2: after #1 arrived, before its time
    R('a', 105, 3), //   3: at #1's time: the one #1 sees; W 95
    R('b', 110, 10), //  4: W 100
    O('b', 2, 108), //   5: waits
    R('x', 116, 0), //   6: W 106 > 105: (#1, 3) at 105
    O('a', 3, 106), //   7: 106 = W: on time, waits
    R('a', 107, null), // 8: a deleted at 107
    R('a', 103, 4), //   9: 103 >= 106 - 5, but older than 105 (a's latest before W): no effect
    O('a', 4, 104), //  10: 104 < 106: late
    R('c', 100, 7), //  11: 100 < 106 - 5: late
    O('c', 5, 120), //  12: waits
    R('c', 106, 8), //  13
    R('z', 130, 0), //  14: W 120: (#3, 3) at 106, (#2, none) at 108; a's deletion (107 < 115) forgotten
    R('c', 116, 9), //  15: 116 >= 115, newer than 106: #5 will see it
    R('a', 112, 5), //  16: 112 < 115: late (a's deletion at 107 is forgotten: it must not bring a back)
    O('a', 6, 125), //  17
    O('c', 7, 121), //  18
    R('z', 1000, 0), // 19: W 125: (#5, 9) at 120, (#7, 9) at 121
    O('z', 8, 1000), // 20: W 990: (#6, none) at 125; #8 waits
  ];
  const expected = {
    inner: [
      [6, { id: 1, k: 'a', rate: 3 }, 105],
      [14, { id: 3, k: 'a', rate: 3 }, 106],
      [19, { id: 5, k: 'c', rate: 9 }, 120],
      [19, { id: 7, k: 'c', rate: 9 }, 121],
    ],
    left: [
      [6, { id: 1, k: 'a', rate: 3 }, 105],
      [14, { id: 3, k: 'a', rate: 3 }, 106],
      [14, { id: 2, k: 'b', rate: null }, 108],
      [19, { id: 5, k: 'c', rate: 9 }, 120],
      [19, { id: 7, k: 'c', rate: 9 }, 121],
      [20, { id: 6, k: 'a', rate: null }, 125],
    ],
  };
  const late = [
    [10, 'a', { side: 'left', value: { id: 4, k: 'a', ts: 104 } }, 104],
    [11, 'c', { side: 'right', value: { ts: 100, rate: 7 } }, 100],
    [16, 'a', { side: 'right', value: { ts: 112, rate: 5 } }, 112],
  ];
  for (const join of ['inner', 'left'] as const) {
    const driver = new TestDriver(build(join));
    const outputs: unknown[] = [];
    const lateOut: unknown[] = [];
    for (const [i, s] of steps.entries()) {
      driver.pipeInput(s.topic, s.value, { key: s.k, timestamp: s.ts });
      for (const r of driver.readOutput('out')) outputs.push([i, r.value, r.timestamp]);
      for (const r of driver.readOutput('late')) lateOut.push([i, r.key, r.value, r.timestamp]);
    }
    assert.deepEqual(outputs, expected[join], join);
    assert.deepEqual(lateOut, late, join);
    // a: deleted (and forgotten); b, c, x: their latest rows; z: the flush rate ahead of W, #8 waiting.
    assert.deepEqual(
      decodeStore(driver.storeEntries('converted')).map(({ kind, key, t }) => `${kind} ${key} ${t}`),
      ['A z 1000', 'P z 1000', 'V b 110', 'V c 116', 'V x 116', 'V z 130', 'V z 1000'],
    );
  }
});

test('plan checks: key formats, event time on both sides, a table; explain; a throwing joiner fails the record', () => {
  const p = pipeline('checks');
  const timedTable = p
    .from('timed', topic('timed', json<Order>(), { key: text() }))
    .eventTime((o) => o.ts, boundedOutOfOrder(0))
    .groupByKey()
    .toTable('timed');
  const untimedTable = p.table('untimed', topic('untimed', json<Order>(), { key: text() }));
  const textKeyed = p
    .from('text-keyed', topic('text-keyed', json<Order>(), { key: text() }))
    .eventTime((o) => o.ts, boundedOutOfOrder(0))
    .groupByKey();
  const jsonKeyed = p
    .from('json-keyed', topic('json-keyed', json<Order>()))
    .eventTime((o) => o.ts, boundedOutOfOrder(0))
    .keyBy((o) => o.k);
  const untimed = p.from('plain', topic('plain', json<Order>(), { key: text() })).groupByKey();
  jsonKeyed.joinAsOf('mismatch', timedTable, (o) => o.id).to('o1', topic('o1', json()));
  textKeyed.joinAsOf('untimed-table', untimedTable, (o) => o.id).to('o2', topic('o2', json()));
  untimed.leftJoinAsOf('untimed-stream', timedTable, (o) => o.id).to('o3', topic('o3', json()));
  assert.deepEqual(
    p.validate().map((i) => [i.code, i.operator]),
    [
      ['KEY_FORMAT_MISMATCH', "temporalJoin 'mismatch'"],
      ['NO_EVENT_TIME', "temporalJoin 'untimed-table'"],
      ['NO_EVENT_TIME', "temporalJoin 'untimed-stream'"],
    ],
  );
  assert.match(p.validate()[0]!.message, /encoded as json and table 'timed's as string/);

  const ok = pipeline('explained');
  const table = ok
    .from('rates', topic('rates', json<Order>(), { key: text() }))
    .eventTime((o) => o.ts, boundedOutOfOrder(0))
    .groupByKey()
    .toTable('rates');
  const joined = ok
    .from('orders', topic('orders', json<Order>(), { key: text() }))
    .eventTime((o) => o.ts, boundedOutOfOrder(0))
    .groupByKey()
    .joinAsOf(
      'j',
      table,
      (o, row) => {
        if (o.id === 13) throw new Error('unlucky thirteen');
        return [o.id, row.id];
      },
      { history: '5s' },
    );
  joined.to('out', topic('out', json()));
  assert.deepEqual(ok.validate(), []);
  assert.match(
    ok.explain(),
    /inner temporal join 'j' \(as of event time, with the versions of table 'rates', history 5000 ms\)/,
  );
  assert.match(ok.explain(), /store j of 'j'/);
  const driver = new TestDriver(ok);
  driver.pipeInput('rates', { id: 1, k: 'a', ts: 100 }, { key: 'a' });
  driver.pipeInput('orders', { id: 13, k: 'a', ts: 100 }, { key: 'a' }); // waits for the watermark
  driver.pipeInput('orders', { id: 14, k: 'a', ts: 101 }, { key: 'a' });
  assert.throws(
    () => driver.pipeInput('rates', { id: 2, k: 'a', ts: 200 }, { key: 'a' }),
    (e: Error) => /unlucky thirteen/.test(e.message),
  );
});

test('after a restart from a checkpoint, the join keeps its waiting records and versions and judges lateness as before', () => {
  const p = pipeline('restart');
  const rates = p
    .from('rates', topic('rates', json<{ ts: number; rate: number }>(), { key: text() }))
    .eventTime((r) => r.ts, boundedOutOfOrder(0))
    .groupByKey()
    .toTable('rates');
  const joined = p
    .from('orders', topic('orders', json<Order>(), { key: text() }))
    .eventTime((o) => o.ts, boundedOutOfOrder(0))
    .groupByKey()
    .joinAsOf('j', rates, (o, r) => ({ id: o.id, rate: r.rate }));
  joined.to('out', topic('out', json()));
  joined.late.to('late', topic('late', json()));
  const plan = p.plan();
  const [sub] = buildTopology(plan).subTopologies;
  // A task over stores that outlive it (as a changelog restores them).
  const { task, written } = restartableTask(plan, sub!);
  const send = <V extends { ts: number }>(
    graph: ReturnType<typeof task>,
    t: string,
    key: string,
    value: V,
  ) => {
    for (const target of graph.inputs.get(t)!.targets)
      target.process([new StreamRecord(key, value, value.ts, undefined)]);
  };
  const before = task();
  send(before, 'rates', 'a', { ts: 100, rate: 1 });
  send(before, 'orders', 'a', { id: 1, k: 'a', ts: 110 }); // W 100: waits
  send(before, 'rates', 'a', { ts: 105, rate: 2 }); // W 105
  send(before, 'orders', 'a', { id: 2, k: 'a', ts: 120 }); // waits
  assert.deepEqual(written, []);
  const checkpoint = JSON.parse(JSON.stringify(before.timeState()));

  const after = task();
  after.restoreTimeState(checkpoint);
  send(after, 'orders', 'a', { id: 3, k: 'a', ts: 101 }); // 101 < 105: late, as before the restart
  send(after, 'rates', 'a', { ts: 115, rate: 3 }); // W 115: #1 sees the rate at 105, from before
  send(after, 'rates', 'z', { ts: 1000, rate: 0 });
  send(after, 'orders', 'z', { id: 4, k: 'z', ts: 1000 }); // W 1000: #2 sees the rate at 115
  assert.deepEqual(written, [
    ['late', { side: 'left', value: { id: 3, k: 'a', ts: 101 } }, 101],
    ['out', { id: 1, rate: 2 }, 110],
    ['out', { id: 2, rate: 3 }, 120],
  ]);
  assert.deepEqual(after.lateRecords(), [["temporalJoin 'j'", 1]]);
});
