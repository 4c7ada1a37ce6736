import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  boundedOutOfOrder,
  decaying,
  hopping,
  json,
  pipeline,
  session,
  sliding,
  topic,
  tumbling,
} from '../dsl/index.ts';
import type { WindowSpec } from '../plan/index.ts';
import { TestDriver } from './test-driver.ts';

/**
 * Event-time windows through the test driver (one record per step), against a plain-loop reference
 * written from the rules: the watermark is the largest event time seen minus the bound; a record goes to
 * every window [start, start + size) containing it whose end + lateness is still above the watermark
 * before it; a record with no such window is late; a window closes (final result) once the watermark
 * reaches end + lateness. A last record far in the future closes every window.
 */
interface Event {
  id: number;
  k: string;
  v: number;
  ts: number;
}

const FLUSH_TS = 1_000_000;

type FixedWindow = Extract<WindowSpec, { kind: 'tumbling' | 'hopping' }>;

function windowStarts(spec: FixedWindow, ts: number): number[] {
  const advance = spec.kind === 'tumbling' ? spec.sizeMs : spec.advanceMs;
  const starts: number[] = [];
  // Every multiple of `advance` in (ts - size, ts].
  for (let s = Math.ceil((ts - spec.sizeMs + 1) / advance) * advance; s <= ts; s += advance) starts.push(s);
  return starts;
}

interface Result {
  key: string;
  start: number;
  end: number;
  ids: number[];
  sum: number;
}

function reference(
  events: Event[],
  spec: FixedWindow,
  bound: number,
  lateness: number,
  emit: 'final' | 'updates',
): { results: Result[]; late: number[] } {
  let watermark = Number.NEGATIVE_INFINITY;
  const open = new Map<string, Result>();
  const results: Result[] = [];
  const late: number[] = [];
  for (const e of events) {
    let placed = 0;
    for (const start of windowStarts(spec, e.ts)) {
      const end = start + spec.sizeMs;
      if (end + lateness <= watermark) continue;
      placed++;
      const id = `${e.k}|${start}`;
      const r = open.get(id) ?? { key: e.k, start, end, ids: [], sum: 0 };
      r.ids = [...r.ids, e.id];
      r.sum += e.v;
      open.set(id, r);
      if (emit === 'updates') results.push({ ...r });
    }
    if (placed === 0) late.push(e.id);
    watermark = Math.max(watermark, e.ts - bound);
    for (const [id, r] of [...open].sort((a, b) => a[1].end - b[1].end)) {
      if (r.end + lateness <= watermark) {
        open.delete(id);
        if (emit === 'final') results.push(r);
      }
    }
  }
  return { results, late };
}

function windowPipeline(spec: WindowSpec, bound: number, lateness: number, emit: 'final' | 'updates') {
  const p = pipeline('windows');
  const windowed = p
    .from('events', topic('events', json<Event>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(bound))
    .keyBy((e) => e.k)
    .window(spec, { emit, allowedLateness: lateness })
    .aggregate(
      'per-window',
      () => ({ ids: [] as number[], sum: 0 }),
      (acc, e) => ({ ids: [...acc.ids, e.id], sum: acc.sum + e.v }),
      // With a merge, hopping windows with final results keep panes (merged when a window closes), and
      // session windows can merge.
      (a, b) => ({ ids: [...a.ids, ...b.ids], sum: a.sum + b.sum }),
    );
  windowed.to('results', topic('results', json()));
  windowed.late.to('late', topic('late-events', json<Event>()));
  return p;
}

function run(events: Event[], spec: WindowSpec, bound: number, lateness: number, emit: 'final' | 'updates') {
  const driver = new TestDriver(windowPipeline(spec, bound, lateness, emit));
  for (const e of events) driver.pipeInput('events', e);
  const results = driver.readOutput('results').map((r) => {
    const w = r.value as {
      key: string;
      window: { start: number; end: number };
      value: { ids: number[]; sum: number };
    };
    assert.equal(r.key, w.key, 'results are keyed by the record key');
    assert.equal(r.timestamp, w.window.end - 1, 'a result carries its window last millisecond');
    return { key: w.key, start: w.window.start, end: w.window.end, ids: w.value.ids, sum: w.value.sum };
  });
  const late = driver.readOutput('late-events').map((r) => (r.value as Event).id);
  return { results, late };
}

const specArb: fc.Arbitrary<FixedWindow> = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map((size) => tumbling(size) as FixedWindow),
  fc
    .tuple(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 40 }))
    .map(([size, advance]) => hopping(size, Math.min(size, advance)) as FixedWindow),
);

/** Events whose timestamps wander up and down; `within` keeps each at most `bound` behind the newest. */
function eventsArb(bound: number, within: boolean): fc.Arbitrary<Event[]> {
  return fc
    .array(
      fc.record({
        k: fc.constantFrom('a', 'b', 'c'),
        v: fc.integer({ min: -5, max: 20 }),
        step: fc.integer({ min: -60, max: 25 }),
      }),
      { maxLength: 50 },
    )
    .map((drafts) => {
      let max = 100;
      let ts = 100;
      return drafts.map((d, id) => {
        ts = Math.max(0, ts + d.step);
        if (within) ts = Math.max(ts, max - bound);
        max = Math.max(max, ts);
        return { id, k: d.k, v: d.v, ts };
      });
    });
}

/** An out-of-orderness bound up to `maxBound` and a stream for it (see eventsArb). */
const streamArb = (maxBound: number, within: boolean) =>
  fc
    .integer({ min: 0, max: maxBound })
    .chain((bound) => eventsArb(bound, within).map((events) => ({ bound, events })));

const flush = (events: Event[]): Event[] => [...events, { id: -1, k: 'flush', v: 0, ts: FLUSH_TS }];
const sorted = (results: Result[]) =>
  [...results]
    .filter((r) => r.key !== 'flush')
    .map((r) => JSON.stringify([r.key, r.start, r.end, [...r.ids].sort((a, b) => a - b), r.sum]))
    .sort();

test('within the out-of-orderness bound, final window results equal a batch recomputation and nothing is late', () => {
  fc.assert(
    fc.property(
      specArb,
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 0, max: 20 }),
      streamArb(30, true),
      (spec, _unused, lateness, { bound, events }) => {
        const out = run(flush(events), spec, bound, lateness, 'final');
        assert.deepEqual(out.late, []);
        // Batch recomputation: every (key, window) over all records, no watermark involved.
        const batch = new Map<string, Result>();
        for (const e of events)
          for (const start of windowStarts(spec, e.ts)) {
            const id = `${e.k}|${start}`;
            const r = batch.get(id) ?? { key: e.k, start, end: start + spec.sizeMs, ids: [], sum: 0 };
            r.ids.push(e.id);
            r.sum += e.v;
            batch.set(id, r);
          }
        assert.deepEqual(sorted(out.results), sorted([...batch.values()]));
      },
    ),
    { numRuns: 500 },
  );
});

test('beyond the bound: every record is in its open windows or in late, exactly once, as the rules say (final and updates)', () => {
  fc.assert(
    fc.property(
      specArb,
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 0, max: 20 }),
      fc.constantFrom('final' as const, 'updates' as const),
      streamArb(20, false),
      (spec, _unused, lateness, emit, { bound, events }) => {
        const input = flush(events);
        const out = run(input, spec, bound, lateness, emit);
        const expected = reference(input, spec, bound, lateness, emit);
        assert.deepEqual(out.late, expected.late);
        if (emit === 'final') assert.deepEqual(sorted(out.results), sorted(expected.results));
        else
          assert.deepEqual(
            out.results.filter((r) => r.key !== 'flush').map((r) => JSON.stringify(r)),
            expected.results.filter((r) => r.key !== 'flush').map((r) => JSON.stringify(r)),
          );
        // Conservation: each record is late, or counted in at least one window result, never both.
        const counted = new Set(out.results.flatMap((r) => r.ids));
        for (const e of events) assert.notEqual(counted.has(e.id), out.late.includes(e.id), `record ${e.id}`);
      },
    ),
    { numRuns: 500 },
  );
});

test('count, sum, min, max and avg per tumbling window; windows need event time upstream', () => {
  const p = pipeline('stats');
  const keyed = p
    .from('events', topic('events', json<Event>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .keyBy((e) => e.k);
  const w = () => keyed.window(tumbling(10));
  w().count('c').to('count', topic('c', json()));
  w()
    .sum('s', (e) => e.v)
    .to('sum', topic('s', json()));
  w()
    .min('mn', (e) => e.v)
    .to('min', topic('mn', json()));
  w()
    .max('mx', (e) => e.v)
    .to('max', topic('mx', json()));
  w()
    .avg('av', (e) => e.v)
    .to('avg', topic('av', json()));
  const driver = new TestDriver(p);
  const values = [4, 9, 2, 7];
  for (const [i, v] of values.entries()) driver.pipeInput('events', { id: i, k: 'a', v, ts: 10 + i });
  driver.pipeInput('events', { id: 9, k: 'a', v: 0, ts: 25 });
  const first = (t: string) => (driver.readOutput(t)[0]?.value as { value: number; window: unknown }) ?? {};
  assert.deepEqual(first('c'), { key: 'a', window: { start: 10, end: 20 }, value: 4 });
  assert.equal(first('s').value, 22);
  assert.equal(first('mn').value, 2);
  assert.equal(first('mx').value, 9);
  assert.equal(first('av').value, 5.5);

  const missing = pipeline('no-time');
  missing
    .from('events', topic('events', json<Event>()))
    .keyBy((e) => e.k)
    .window(tumbling('1m'))
    .count('c')
    .to('out', topic('out', json()));
  assert.throws(
    () => new TestDriver(missing),
    (e: unknown) => e instanceof Error && /event time/.test(e.message),
  );
});

/** Session windows by the rules: merge overlapping [t, t + gap) per key; late if the merged session is closed. */
function sessionReference(
  events: Event[],
  gap: number,
  bound: number,
  lateness: number,
  emit: 'final' | 'updates',
): { results: Result[]; late: number[] } {
  let watermark = Number.NEGATIVE_INFINITY;
  const open = new Map<string, Result[]>();
  const results: Result[] = [];
  const late: number[] = [];
  for (const e of events) {
    const sessions = open.get(e.k) ?? [];
    const merged = sessions.filter((s) => s.start < e.ts + gap && e.ts < s.end);
    const start = Math.min(e.ts, ...merged.map((s) => s.start));
    const end = Math.max(e.ts + gap, ...merged.map((s) => s.end));
    if (end + lateness <= watermark) late.push(e.id);
    else {
      const ordered = [...merged].sort((a, b) => a.start - b.start);
      const session: Result = {
        key: e.k,
        start,
        end,
        ids: [...ordered.flatMap((s) => s.ids), e.id],
        sum: ordered.reduce((n, s) => n + s.sum, 0) + e.v,
      };
      open.set(e.k, [...sessions.filter((s) => !merged.includes(s)), session]);
      if (emit === 'updates') results.push({ ...session });
    }
    watermark = Math.max(watermark, e.ts - bound);
    for (const [k, list] of open) {
      for (const s of [...list].sort((a, b) => a.end - b.end))
        if (s.end + lateness <= watermark && emit === 'final') results.push(s);
      open.set(
        k,
        list.filter((s) => s.end + lateness > watermark),
      );
    }
  }
  return { results, late };
}

const runSessions = (
  events: Event[],
  gap: number,
  bound: number,
  lateness: number,
  emit: 'final' | 'updates',
) => run(events, session(gap), bound, lateness, emit);

test('session windows within the bound equal a batch recomputation (runs of records less than gap apart)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 20 }),
      streamArb(30, true),
      (gap, lateness, { bound, events }) => {
        const out = runSessions(flush(events), gap, bound, lateness, 'final');
        assert.deepEqual(out.late, []);
        const batch: Result[] = [];
        for (const k of new Set(events.map((e) => e.k))) {
          const mine = events.filter((e) => e.k === k).sort((a, b) => a.ts - b.ts || a.id - b.id);
          let current: Result | undefined;
          for (const e of mine) {
            if (current !== undefined && e.ts < current.end) {
              current.end = Math.max(current.end, e.ts + gap);
              current.ids.push(e.id);
              current.sum += e.v;
            } else {
              if (current !== undefined) batch.push(current);
              current = { key: k, start: e.ts, end: e.ts + gap, ids: [e.id], sum: e.v };
            }
          }
          if (current !== undefined) batch.push(current);
        }
        // Ids within a session are compared as sets (merging order differs from time order).
        const norm = (list: Result[]) =>
          sorted(list.map((r) => ({ ...r, ids: [...r.ids].sort((a, b) => a - b) })));
        assert.deepEqual(norm(out.results), norm(batch));
      },
    ),
    { numRuns: 500 },
  );
});

test('session windows beyond the bound follow the rules: merges, lateness and conservation (final and updates)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 20 }),
      fc.constantFrom('final' as const, 'updates' as const),
      streamArb(20, false),
      (gap, lateness, emit, { bound, events }) => {
        const input = flush(events);
        const out = runSessions(input, gap, bound, lateness, emit);
        const expected = sessionReference(input, gap, bound, lateness, emit);
        assert.deepEqual(out.late, expected.late);
        const strip = (list: Result[]) => list.filter((r) => r.key !== 'flush').map((r) => JSON.stringify(r));
        if (emit === 'final') assert.deepEqual(sorted(out.results), sorted(expected.results));
        else assert.deepEqual(strip(out.results), strip(expected.results));
        const counted = new Set(out.results.flatMap((r) => r.ids));
        for (const e of events) assert.notEqual(counted.has(e.id), out.late.includes(e.id), `record ${e.id}`);
      },
    ),
    { numRuns: 500 },
  );
});

test('session windows need a merge function for aggregate', () => {
  const p = pipeline('no-merge');
  p.from('events', topic('events', json<Event>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .keyBy((e) => e.k)
    .window(session(10))
    .aggregate(
      's',
      () => 0,
      (n) => n + 1,
    )
    .to('out', topic('out', json()));
  assert.throws(
    () => new TestDriver(p),
    (e: unknown) => e instanceof Error && /merge function/.test(e.message),
  );
});

test('event-time timers in process(): an order unpaid by its deadline fires once, as a batch check says', () => {
  const DEADLINE = 15;
  interface Deal {
    kind: 'order' | 'payment';
    id: string;
    ts: number;
  }
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 10 }).chain((bound) =>
        fc
          .array(
            fc.record({
              kind: fc.constantFrom('order' as const, 'payment' as const),
              id: fc.constantFrom('o1', 'o2', 'o3', 'o4'),
              step: fc.integer({ min: -10, max: 8 }),
            }),
            { maxLength: 40 },
          )
          .map((drafts) => {
            let max = 50;
            let ts = 50;
            const deals = drafts.map((d) => {
              ts = Math.max(max - bound, ts + d.step);
              max = Math.max(max, ts);
              return { kind: d.kind, id: d.id, ts } as Deal;
            });
            return { bound, deals };
          }),
      ),
      ({ bound, deals }) => {
        const p = pipeline('unpaid');
        p.from('deals', topic('deals', json<Deal>()))
          .eventTime((d) => d.ts, boundedOutOfOrder(bound))
          .keyBy((d) => d.id)
          .process(
            'deadline',
            {
              process(d, ctx) {
                const open = ctx.state<number[]>('open');
                const paid = ctx.state<number[]>('paid');
                if (d.kind === 'order') {
                  const due = d.ts + DEADLINE;
                  // A payment may arrive before its order (out of order within the bound).
                  if ((paid.get() ?? []).some((t) => t >= d.ts && t < due)) return undefined;
                  open.set([...(open.get() ?? []), due]);
                  ctx.timers.eventTime(due);
                } else {
                  paid.set([...(paid.get() ?? []), d.ts]);
                  // It settles every open order of its id it falls in: [due - DEADLINE, due).
                  const settled = (open.get() ?? []).filter((due) => d.ts >= due - DEADLINE && d.ts < due);
                  for (const due of settled) ctx.timers.cancel(due, 'event');
                  open.set((open.get() ?? []).filter((due) => !settled.includes(due)));
                }
                return undefined;
              },
              onTimer(at, ctx) {
                assert.equal(ctx.timeDomain, 'event');
                const open = ctx.state<number[]>('open');
                const due = (open.get() ?? []).filter((t) => t === at);
                open.set((open.get() ?? []).filter((t) => t !== at));
                return due.length > 0 ? [{ id: ctx.key, due: at }] : undefined;
              },
            },
            { stores: [{ name: 'open' }, { name: 'paid' }] },
          )
          .to('out', topic('unpaid', json()));
        const driver = new TestDriver(p);
        for (const d of deals) driver.pipeInput('deals', d);
        driver.pipeInput('deals', { kind: 'payment', id: 'flush', ts: FLUSH_TS });
        const got = driver.readOutput('unpaid').map((r) => JSON.stringify(r.value));
        // Batch check: an order is unpaid when no payment of its id falls in [its time, its deadline).
        const expected = new Set<string>();
        for (const o of deals.filter((d) => d.kind === 'order')) {
          const due = o.ts + DEADLINE;
          const paid = deals.some((d) => d.kind === 'payment' && d.id === o.id && d.ts >= o.ts && d.ts < due);
          if (!paid) expected.add(JSON.stringify({ id: o.id, due }));
        }
        assert.deepEqual(new Set(got), expected);
        assert.equal(got.length, new Set(got).size, 'each deadline fires once');
      },
    ),
    {
      numRuns: 500,
      // At the boundary: the watermark reaches 24 (one below the deadline 25) and a payment at 24 still
      // counts; then 25 fires the other order's timer exactly at its deadline.
      examples: [
        [
          {
            bound: 0,
            deals: [
              { kind: 'order', id: 'o1', ts: 10 },
              { kind: 'order', id: 'o2', ts: 10 },
              { kind: 'payment', id: 'o3', ts: 24 },
              { kind: 'payment', id: 'o1', ts: 24 },
              { kind: 'payment', id: 'o3', ts: 25 },
              { kind: 'payment', id: 'o2', ts: 25 },
            ],
          },
        ],
      ],
    },
  );
});

test('countDistinct (exact), topN and approximate countDistinct per window equal a batch computation', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 4 }),
      streamArb(15, true),
      (size, n, { bound, events }) => {
        const p = pipeline('distinct');
        const keyed = p
          .from('events', topic('events', json<Event>()))
          .eventTime((e) => e.ts, boundedOutOfOrder(bound))
          .keyBy((e) => e.k);
        keyed
          .window(tumbling(size))
          .countDistinct('distinct-v', (e) => e.v)
          .to('d', topic('d', json()));
        keyed
          .window(tumbling(size))
          .topN('top-v', n, (e) => e.v)
          .to('t', topic('t', json()));
        const driver = new TestDriver(p);
        for (const e of flush(events)) driver.pipeInput('events', e);
        const byWindow = new Map<string, Event[]>();
        for (const e of events) {
          const id = `${e.k}|${e.ts - (e.ts % size)}`;
          byWindow.set(id, [...(byWindow.get(id) ?? []), e]);
        }
        const results = (t: string) =>
          new Map(
            driver
              .readOutput(t)
              .map((r) => r.value as { key: string; window: { start: number }; value: unknown })
              .filter((w) => w.key !== 'flush')
              .map((w) => [`${w.key}|${w.window.start}`, w.value]),
          );
        const distinct = results('d');
        const top = results('t');
        assert.equal(distinct.size, byWindow.size);
        for (const [id, list] of byWindow) {
          assert.equal(distinct.get(id), new Set(list.map((e) => e.v)).size, id);
          // Largest v first; on equal v the earlier record first (stable).
          const expected = [...list].sort((a, b) => b.v - a.v).slice(0, n);
          assert.deepEqual(top.get(id), expected, id);
        }
      },
    ),
    { numRuns: 500 },
  );
  // Approximate: 20,000 distinct values in one window, within 3 standard errors (3 x 2.3%).
  const p = pipeline('approx');
  p.from('events', topic('events', json<Event>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .keyBy((e) => e.k)
    .window(tumbling(1000))
    .countDistinct('approx-v', (e) => e.v, { approximate: true })
    .to('a', topic('a', json()));
  const driver = new TestDriver(p);
  for (let i = 0; i < 40_000; i++) driver.pipeInput('events', { id: i, k: 'a', v: i % 20_000, ts: 10 });
  driver.pipeInput('events', { id: -1, k: 'a', v: 0, ts: 5000 });
  const [result] = driver.readOutput('a');
  const estimate = (result!.value as { value: number }).value;
  assert.ok(Math.abs(estimate - 20_000) / 20_000 < 0.07, `estimate ${estimate} for 20000 distinct values`);
});

test('windowAll: one window state over every record, keyed all', () => {
  const p = pipeline('global');
  p.from('events', topic('events', json<Event>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .windowAll(tumbling(10))
    .count('all-events')
    .to('out', topic('totals', json()));
  const driver = new TestDriver(p);
  const times = [1, 3, 3, 9, 12, 15, 27];
  times.forEach((ts, i) => {
    driver.pipeInput('events', { id: i, k: `k${i % 3}`, v: 0, ts });
  });
  driver.pipeInput('events', { id: 99, k: 'x', v: 0, ts: 100 });
  assert.deepEqual(
    driver.readOutput('totals').map((r) => r.value),
    [
      { key: 'all', window: { start: 0, end: 10 }, value: 4 },
      { key: 'all', window: { start: 10, end: 20 }, value: 2 },
      { key: 'all', window: { start: 20, end: 30 }, value: 1 },
    ],
  );
});

test('decaying windows: every result is the key records so far, weighted 2^(-age / halfLife) from the key latest time', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 100 }), streamArb(30, false), (halfLife, { bound, events }) => {
      const p = pipeline('decay');
      const keyed = p
        .from('events', topic('events', json<Event>()))
        .eventTime((e) => e.ts, boundedOutOfOrder(bound))
        .keyBy((e) => e.k);
      keyed
        .window(decaying(halfLife), { emit: 'updates' })
        .sum('weighted', (e) => e.v)
        .to('s', topic('s', json()));
      const driver = new TestDriver(p);
      for (const e of events) driver.pipeInput('events', e);
      const results = driver
        .readOutput('s')
        .map((r) => r.value as { key: string; window: { start: number; end: number }; value: number });
      assert.equal(results.length, events.length, 'one result per record');
      events.forEach((e, i) => {
        const seen = events.slice(0, i + 1).filter((x) => x.k === e.k);
        const at = Math.max(...seen.map((x) => x.ts));
        const expected = seen.reduce((sum, x) => sum + x.v * 2 ** (-(at - x.ts) / halfLife), 0);
        const got = results[i]!;
        assert.deepEqual(got.window, { start: Math.min(...seen.map((x) => x.ts)), end: at + 1 });
        assert.ok(
          Math.abs(got.value - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
          `${got.value} vs ${expected}`,
        );
      });
    }),
    { numRuns: 500 },
  );
});

const runSliding = (
  events: Event[],
  size: number,
  bound: number,
  lateness: number,
  emit: 'final' | 'updates',
) => {
  const out = run(events, sliding(size), bound, lateness, emit);
  return { ...out, results: out.results.map((r) => ({ ...r, ids: [...r.ids].sort((x, y) => x - y) })) };
};

test('sliding windows: each record gets the aggregate of its key records in [t - size, t] (final, within the bound)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 20 }),
      streamArb(30, true),
      (size, lateness, { bound, events }) => {
        const out = runSliding(flush(events), size, bound, lateness, 'final');
        assert.deepEqual(out.late, []);
        const expected = events.map((e) => {
          const inWindow = events.filter((x) => x.k === e.k && x.ts >= e.ts - size && x.ts <= e.ts);
          return {
            key: e.k,
            start: e.ts - size,
            end: e.ts + 1,
            ids: inWindow.map((x) => x.id).sort((a, b) => a - b),
            sum: inWindow.reduce((n, x) => n + x.v, 0),
          };
        });
        assert.deepEqual(sorted(out.results), sorted(expected));
      },
    ),
    { numRuns: 500 },
  );
});

test('sliding windows beyond the bound: late records, final and updates follow the rules; every record once', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 20 }),
      fc.constantFrom('final' as const, 'updates' as const),
      streamArb(20, false),
      (size, lateness, emit, { bound, events }) => {
        const input = flush(events);
        const out = runSliding(input, size, bound, lateness, emit);
        // The rules, record by record.
        let watermark = Number.NEGATIVE_INFINITY;
        const kept: Event[] = [];
        const pending: Event[] = [];
        const late: number[] = [];
        const results: Result[] = [];
        const resultOf = (e: Event): Result => {
          const inWindow = kept.filter((x) => x.k === e.k && x.ts >= e.ts - size && x.ts <= e.ts);
          return {
            key: e.k,
            start: e.ts - size,
            end: e.ts + 1,
            ids: inWindow.map((x) => x.id).sort((a, b) => a - b),
            sum: inWindow.reduce((n, x) => n + x.v, 0),
          };
        };
        for (const e of input) {
          if (e.ts + 1 + lateness <= watermark) late.push(e.id);
          else {
            kept.push(e);
            if (emit === 'updates') results.push(resultOf(e));
            else pending.push(e);
          }
          watermark = Math.max(watermark, e.ts - bound);
          for (const p of [...pending].sort((a, b) => a.ts - b.ts))
            if (p.ts + 1 + lateness <= watermark) {
              results.push(resultOf(p));
              pending.splice(pending.indexOf(p), 1);
            }
        }
        assert.deepEqual(out.late, late);
        assert.deepEqual(sorted(out.results), sorted(results));
        // Every record is late or has its own result: per (key, time), results = records not late.
        const tally = new Map<string, number>();
        for (const r of out.results.filter((x) => x.key !== 'flush'))
          tally.set(`${r.key}|${r.end - 1}`, (tally.get(`${r.key}|${r.end - 1}`) ?? 0) + 1);
        for (const e of events)
          if (!out.late.includes(e.id)) tally.set(`${e.k}|${e.ts}`, (tally.get(`${e.k}|${e.ts}`) ?? 0) - 1);
        for (const [slot, n] of tally) assert.equal(n, 0, `results minus on-time records at ${slot}`);
      },
    ),
    { numRuns: 500 },
  );
});

/**
 * Sliding windows with a resolution: the same stream through three aggregations over
 * `sliding(size, { resolution })` (an aggregate with merge, so results merge panes; the same without
 * merge, so panes keep values and results fold them; and the built-in `sum`), read back per output.
 */
interface PaneRun {
  merged: Result[];
  folded: Result[];
  sums: Result[];
  late: number[][];
}

function runSlidingPanes(
  events: Event[],
  size: number,
  resolution: number,
  bound: number,
  lateness: number,
  emit: 'final' | 'updates',
): PaneRun {
  const p = pipeline('sliding-panes');
  const keyed = p
    .from('events', topic('events', json<Event>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(bound))
    .keyBy((e) => e.k);
  const window = () => keyed.window(sliding(size, { resolution }), { emit, allowedLateness: lateness });
  const init = () => ({ ids: [] as number[], sum: 0 });
  const add = (acc: { ids: number[]; sum: number }, e: Event) => ({
    ids: [...acc.ids, e.id],
    sum: acc.sum + e.v,
  });
  const merged = window().aggregate('merged', init, add, (a, b) => ({
    ids: [...a.ids, ...b.ids],
    sum: a.sum + b.sum,
  }));
  const folded = window().aggregate('folded', init, add);
  const sums = window().sum('sums', (e) => e.v);
  merged.to('merged-sink', topic('merged-out', json()));
  folded.to('folded-sink', topic('folded-out', json()));
  sums.to('sums-sink', topic('sums-out', json()));
  const names = ['merged', 'folded', 'sums'];
  for (const [i, late] of [merged.late, folded.late, sums.late].entries())
    late.to(`${names[i]}-late`, topic(`${names[i]}-late`, json<Event>()));
  const driver = new TestDriver(p);
  for (const e of events) driver.pipeInput('events', e);
  const read = (name: string): Result[] =>
    driver.readOutput(`${name}-out`).map((r) => {
      const w = r.value as {
        key: string;
        window: { start: number; end: number };
        value: number | { ids: number[]; sum: number };
      };
      assert.equal(r.timestamp, w.window.end - 1, 'a result carries its window last millisecond');
      const value = typeof w.value === 'number' ? { ids: [], sum: w.value } : w.value;
      return { key: w.key, ...w.window, ids: [...value.ids].sort((x, y) => x - y), sum: value.sum };
    });
  return {
    merged: read('merged'),
    folded: read('folded'),
    sums: read('sums'),
    late: names.map((name) => driver.readOutput(`${name}-late`).map((r) => (r.value as Event).id)),
  };
}

/** A resolution of 1..7 ms and a size of 0..40 ms that is 0 or at least the resolution. */
const slidingShapeArb = fc
  .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 7 }))
  .map(([size, resolution]) => ({ size, resolution: size > 0 ? Math.min(size, resolution) : resolution }));

/** Rounds down to a multiple of `step` (the reference's own, by division). */
const roundDown = (t: number, step: number): number => Math.floor(t / step) * step;

/** The result of record `e` over `records`: those of its key whose rounded time is in [t' - size, t']. */
function paneResult(e: Event, records: readonly Event[], size: number, resolution: number): Result {
  const at = roundDown(e.ts, resolution);
  const inWindow = records.filter((x) => {
    const t = roundDown(x.ts, resolution);
    return x.k === e.k && t >= at - size && t <= at;
  });
  return {
    key: e.k,
    start: at - size,
    end: at + resolution,
    ids: inWindow.map((x) => x.id).sort((a, b) => a - b),
    sum: inWindow.reduce((n, x) => n + x.v, 0),
  };
}

const withoutIds = (results: Result[]) => results.map((r) => ({ ...r, ids: [] }));

test("sliding windows with a resolution: each record gets its key records whose rounded time is in [t' - size, t'] (final, within the bound; merged panes, folded values, sum)", () => {
  fc.assert(
    fc.property(
      slidingShapeArb,
      fc.integer({ min: 0, max: 20 }),
      streamArb(30, true),
      ({ size, resolution }, lateness, { bound, events }) => {
        const out = runSlidingPanes(flush(events), size, resolution, bound, lateness, 'final');
        assert.deepEqual(out.late, [[], [], []]);
        // Batch: every record against all records, no watermark involved.
        const expected = events.map((e) => paneResult(e, events, size, resolution));
        assert.deepEqual(sorted(out.merged), sorted(expected), 'aggregate with merge');
        assert.deepEqual(sorted(out.folded), sorted(expected), 'aggregate without merge');
        assert.deepEqual(sorted(out.sums), sorted(withoutIds(expected)), 'sum');
      },
    ),
    { numRuns: 500 },
  );
});

test('sliding windows with a resolution beyond the bound: late records, final and updates follow the rules; every record once', () => {
  fc.assert(
    fc.property(
      slidingShapeArb,
      fc.integer({ min: 0, max: 20 }),
      fc.constantFrom('final' as const, 'updates' as const),
      streamArb(20, false),
      ({ size, resolution }, lateness, emit, { bound, events }) => {
        const input = flush(events);
        const out = runSlidingPanes(input, size, resolution, bound, lateness, emit);
        // The rules, record by record: a record is late when the watermark before it passed its
        // window's last millisecond (t' + resolution - 1) + lateness.
        let watermark = Number.NEGATIVE_INFINITY;
        const kept: Event[] = [];
        let pending: Event[] = [];
        const late: number[] = [];
        const results: Result[] = [];
        const closes = (e: Event) => roundDown(e.ts, resolution) + resolution + lateness <= watermark;
        for (const e of input) {
          if (closes(e)) late.push(e.id);
          else {
            kept.push(e);
            if (emit === 'updates') results.push(paneResult(e, kept, size, resolution));
            else pending.push(e);
          }
          watermark = Math.max(watermark, e.ts - bound);
          for (const p of pending.filter(closes)) results.push(paneResult(p, kept, size, resolution));
          pending = pending.filter((p) => !closes(p));
        }
        assert.deepEqual(out.late, [late, late, late]);
        const outside = (r: Result) => r.key !== 'flush';
        if (emit === 'final') {
          assert.deepEqual(sorted(out.merged), sorted(results), 'aggregate with merge');
          assert.deepEqual(sorted(out.folded), sorted(results), 'aggregate without merge');
          assert.deepEqual(sorted(out.sums), sorted(withoutIds(results)), 'sum');
        } else {
          // Updates come at once, one per record, in input order.
          const expected = results.filter(outside);
          assert.deepEqual(out.merged.filter(outside), expected, 'aggregate with merge');
          assert.deepEqual(out.folded.filter(outside), expected, 'aggregate without merge');
          assert.deepEqual(out.sums.filter(outside), withoutIds(expected), 'sum');
        }
        // Every record is late or has its own result: per (key, rounded time), results = records not late.
        const tally = new Map<string, number>();
        const count = (slot: string, n: number) => tally.set(slot, (tally.get(slot) ?? 0) + n);
        for (const r of out.merged.filter(outside)) count(`${r.key}|${r.end - resolution}`, 1);
        for (const e of events)
          if (!out.late[0]!.includes(e.id)) count(`${e.k}|${roundDown(e.ts, resolution)}`, -1);
        for (const [slot, n] of tally) assert.equal(n, 0, `results minus on-time records at ${slot}`);
      },
    ),
    { numRuns: 500 },
  );
});

test('sliding windows, aggregate without merge: panes keep values, results fold them in time then arrival order', () => {
  const p = pipeline('sliding-fold');
  const keyed = p
    .from('events', topic('events', json<Event>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .keyBy((e) => e.k);
  const windowed = keyed.window(sliding(20, { resolution: 10 })).aggregate(
    'ids',
    () => [] as number[],
    (ids, e) => [...ids, e.id],
  );
  windowed.to('out', topic('ids', json()));
  windowed.late.to('late', topic('late', json<Event>()));
  const driver = new TestDriver(p);
  // Rounded times 0, 10, 10, 30, 40, then 20 (late: its window [0, 20] ends at 29 < watermark 44).
  for (const [id, ts] of [
    [0, 5],
    [1, 19],
    [2, 12],
    [3, 31],
    [4, 44],
    [5, 25],
  ] as const)
    driver.pipeInput('events', { id, k: 'a', v: 0, ts });
  driver.pipeInput('events', { id: 99, k: 'z', v: 0, ts: 1000 });
  assert.deepEqual(
    driver
      .readOutput('ids')
      .map((r) => r.value as { key: string; window: { start: number; end: number }; value: number[] })
      .filter((w) => w.key === 'a')
      .map((w) => [w.window.start, w.window.end, w.value]),
    [
      [-20, 10, [0]], // closed by the watermark 19 (the record at 19)
      [-10, 20, [0, 1, 2]], // id 1 and id 2 share the pane at 10: two results, both closed by 31
      [-10, 20, [0, 1, 2]],
      [10, 40, [1, 2, 3]], // the pane at 0 is out of [10, 30]
      [20, 50, [3, 4]],
    ],
  );
  assert.deepEqual(
    driver.readOutput('late').map((r) => (r.value as Event).id),
    [5],
  );
});

test('sliding windows, aggregate without merge, updates: a value the fold rejects is not kept', () => {
  const p = pipeline('sliding-reject');
  p.from('events', topic('events', json<Event>()))
    .eventTime((e) => e.ts, boundedOutOfOrder(0))
    .keyBy((e) => e.k)
    .window(sliding(20, { resolution: 10 }), { emit: 'updates' })
    .aggregate(
      'ids',
      () => [] as number[],
      (ids, e) => {
        if (e.v < 0) throw new Error(`negative value in record ${e.id}`);
        return [...ids, e.id];
      },
    )
    .to('out', topic('ids', json()));
  const driver = new TestDriver(p);
  driver.pipeInput('events', { id: 0, k: 'a', v: 1, ts: 3 });
  assert.throws(
    () => driver.pipeInput('events', { id: 1, k: 'a', v: -1, ts: 5 }),
    /negative value in record 1/,
  );
  driver.pipeInput('events', { id: 2, k: 'a', v: 1, ts: 8 });
  assert.deepEqual(
    driver.readOutput('ids').map((r) => (r.value as { value: number[] }).value),
    [[0], [0, 2]],
  );
});

test('sliding windows: the resolution must be a whole number of ms > 0 and at most the size', () => {
  const issues = (size: number, resolution: number) => {
    const p = pipeline('bad-sliding');
    p.from('events', topic('events', json<Event>()))
      .eventTime((e) => e.ts, boundedOutOfOrder(0))
      .keyBy((e) => e.k)
      .window(sliding(size, { resolution }))
      .count('c')
      .to('out', topic('c', json()));
    return p.validate().map((i) => i.code);
  };
  assert.deepEqual(issues(10, 10), []);
  assert.deepEqual(issues(0, 5), []);
  assert.deepEqual(issues(10, 11), ['INVALID_ARGUMENT']);
  assert.deepEqual(issues(10, 0), ['INVALID_ARGUMENT']);
});

test('early results: every interval of processing time, the changed windows so far (early: true); final still once', () => {
  for (const spec of [tumbling(10), session(5)]) {
    const p = pipeline('early');
    p.from('events', topic('events', json<Event>()))
      .eventTime((e) => e.ts, boundedOutOfOrder(0))
      .keyBy((e) => e.k)
      .window(spec, { earlyEvery: '100ms' })
      .count('early-counts')
      .to('out', topic('counts', json()));
    const driver = new TestDriver(p);
    const send = (id: number, k: string, ts: number) => driver.pipeInput('events', { id, k, v: 0, ts });
    send(0, 'a', 1);
    send(1, 'a', 2);
    send(2, 'b', 3);
    driver.advanceTime(100);
    const first = driver
      .readOutput('counts')
      .map((r) => r.value as { key: string; value: number; early?: boolean });
    assert.deepEqual(
      first.map((w) => [w.key, w.value, w.early]),
      [
        ['a', 2, true],
        ['b', 1, true],
      ],
      spec.kind,
    );
    send(3, 'a', 4);
    driver.advanceTime(50);
    assert.deepEqual(driver.readOutput('counts'), [], 'not before the interval has passed');
    driver.advanceTime(50);
    assert.deepEqual(
      driver
        .readOutput('counts')
        .map((r) => r.value as { key: string; value: number; early?: boolean })
        .map((w) => [w.key, w.value, w.early]),
      [['a', 3, true]],
      'only the changed window',
    );
    send(4, 'c', 100); // closes everything before it
    const final = driver
      .readOutput('counts')
      .map((r) => r.value as { key: string; value: number; early?: boolean });
    assert.deepEqual(
      final.map((w) => [w.key, w.value, w.early]).sort(),
      [
        ['a', 3, undefined],
        ['b', 1, undefined],
      ],
      `${spec.kind}: final results once, not marked early`,
    );
  }
});
