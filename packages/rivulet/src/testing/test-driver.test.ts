import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { json, pipeline, text, topic } from '../dsl/index.ts';
import { isEngineError } from '../model/index.ts';
import { TestDriver } from './test-driver.ts';

const Order = z.object({
  sku: z.string(),
  qty: z.number().int().positive(),
  type: z.enum(['placed', 'cancelled', 'shipped']),
});
const Movement = z.object({
  sku: z.string(),
  qty: z.number().int().positive(),
  kind: z.enum(['received', 'reserved', 'released']),
});
type OrderT = z.infer<typeof Order>;
type MovementT = z.infer<typeof Movement>;

/** S2 in the DSL: stock level per SKU from orders and stock movements. */
function stockTracker() {
  const p = pipeline('stock');
  const orders = p.from('orders', topic('orders', json(Order)));
  const movements = p.from('movements', topic('movements', json(Movement)));
  orders
    .map((o) => ({ sku: o.sku, delta: o.type === 'placed' ? -o.qty : o.type === 'cancelled' ? o.qty : 0 }))
    .merge(movements.map((m) => ({ sku: m.sku, delta: m.kind === 'reserved' ? -m.qty : m.qty })))
    .keyBy((d) => d.sku)
    .sum('stock-level', (d) => d.delta)
    .toStream()
    .to('levels', topic('stock-levels', json()));
  return p;
}

type Input = { topic: 'orders'; value: OrderT } | { topic: 'movements'; value: MovementT };

const inputArb: fc.Arbitrary<Input[]> = fc.array(
  fc.oneof(
    fc.record({
      topic: fc.constant('orders' as const),
      value: fc.record({
        sku: fc.constantFrom('a', 'b', 'c', 'd'),
        qty: fc.integer({ min: 1, max: 50 }),
        type: fc.constantFrom('placed' as const, 'cancelled' as const, 'shipped' as const),
      }),
    }),
    fc.record({
      topic: fc.constant('movements' as const),
      value: fc.record({
        sku: fc.constantFrom('a', 'b', 'c', 'd'),
        qty: fc.integer({ min: 1, max: 50 }),
        kind: fc.constantFrom('received' as const, 'reserved' as const, 'released' as const),
      }),
    }),
  ),
  { maxLength: 60 },
);

test('S2 stock levels through the test driver equal a plain loop over the same input', () => {
  fc.assert(
    fc.property(inputArb, (inputs) => {
      const driver = new TestDriver(stockTracker());
      const level = new Map<string, number>();
      const expectedUpdates: Array<[string, number]> = [];
      for (const [i, input] of inputs.entries()) {
        driver.pipeInput(input.topic, input.value, { timestamp: 1000 + i });
        const sku = input.value.sku;
        let delta: number;
        if (input.topic === 'orders')
          delta =
            input.value.type === 'placed'
              ? -input.value.qty
              : input.value.type === 'cancelled'
                ? input.value.qty
                : 0;
        else delta = input.value.kind === 'reserved' ? -input.value.qty : input.value.qty;
        level.set(sku, (level.get(sku) ?? 0) + delta);
        expectedUpdates.push([sku, level.get(sku)!]);
      }
      const out = driver.readOutput('stock-levels');
      assert.deepEqual(
        out.map((r) => [r.key, r.value]),
        expectedUpdates,
      );
      assert.deepEqual(
        out.map((r) => r.timestamp),
        inputs.map((_, i) => 1000 + i),
      );
      assert.deepEqual(new Map(driver.storeEntries('stock-level') as Array<[string, number]>), level);
    }),
    { numRuns: 300 },
  );
});

test('keyed count, min, max, reduce and aggregate equal their plain-loop results', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ user: fc.constantFrom('u1', 'u2', 'u3'), amount: fc.integer({ min: -100, max: 100 }) }),
        { maxLength: 50 },
      ),
      (events) => {
        const p = pipeline('aggs');
        const byUser = p
          .from('events', topic('events', json<{ user: string; amount: number }>()))
          .keyBy((e) => e.user);
        byUser.count('count').toStream().to('count-out', topic('counts', json()));
        byUser
          .min('min', (e) => e.amount)
          .toStream()
          .to('min-out', topic('mins', json()));
        byUser
          .max('max', (e) => e.amount)
          .toStream()
          .to('max-out', topic('maxs', json()));
        byUser
          .reduce('latest', (_a, b) => b)
          .toStream()
          .to('latest-out', topic('latest', json()));
        byUser
          .aggregate(
            'history',
            () => [] as number[],
            (acc, e) => [...acc, e.amount],
          )
          .toStream()
          .to('history-out', topic('history', json()));
        const driver = new TestDriver(p);
        const ref = {
          count: new Map<string, number>(),
          min: new Map<string, number>(),
          max: new Map<string, number>(),
          history: new Map<string, number[]>(),
        };
        const expected = {
          counts: [] as unknown[],
          mins: [] as unknown[],
          maxs: [] as unknown[],
          latest: [] as unknown[],
          history: [] as unknown[],
        };
        for (const e of events) {
          driver.pipeInput('events', e);
          ref.count.set(e.user, (ref.count.get(e.user) ?? 0) + 1);
          ref.min.set(e.user, Math.min(ref.min.get(e.user) ?? Number.POSITIVE_INFINITY, e.amount));
          ref.max.set(e.user, Math.max(ref.max.get(e.user) ?? Number.NEGATIVE_INFINITY, e.amount));
          ref.history.set(e.user, [...(ref.history.get(e.user) ?? []), e.amount]);
          expected.counts.push([e.user, ref.count.get(e.user)]);
          expected.mins.push([e.user, ref.min.get(e.user)]);
          expected.maxs.push([e.user, ref.max.get(e.user)]);
          expected.latest.push([e.user, { user: e.user, amount: e.amount }]);
          expected.history.push([e.user, ref.history.get(e.user)]);
        }
        for (const t of ['counts', 'mins', 'maxs', 'latest', 'history'] as const) {
          assert.deepEqual(
            driver.readOutput(t).map((r) => [r.key, r.value]),
            expected[t],
            t,
          );
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('filter, flatMap, split and process route records as written', () => {
  const p = pipeline('routes');
  const words = p
    .from('lines', topic('lines', text()))
    .flatMap((line) => line.split(' '))
    .filter((w) => w.length > 0);
  const parts = words.split('by-length', { short: (w) => w.length <= 3 });
  parts.short.to('short-out', topic('short', text()));
  parts.default.to('long-out', topic('long', text()));
  words
    .keyBy((w) => w.toLowerCase())
    .process(
      'first-seen',
      {
        process: (word, ctx) => {
          const seen = ctx.state<boolean>('seen');
          if (seen.get() === true) return [];
          seen.set(true);
          return [word];
        },
      },
      { stores: [{ name: 'seen' }] },
    )
    .to('firsts-out', topic('firsts', text()));
  const driver = new TestDriver(p);
  for (const line of ['the cat sat', 'The  mat', 'a cat']) driver.pipeInput('lines', line);
  const all = ['the', 'cat', 'sat', 'The', 'mat', 'a', 'cat'];
  assert.deepEqual(
    driver.readOutput('short').map((r) => r.value),
    all.filter((w) => w.length <= 3),
  );
  assert.deepEqual(
    driver.readOutput('long').map((r) => r.value),
    all.filter((w) => w.length > 3),
  );
  assert.deepEqual(
    driver.readOutput('firsts').map((r) => [r.key, r.value]),
    [
      ['the', 'the'],
      ['cat', 'cat'],
      ['sat', 'sat'],
      ['mat', 'mat'],
      ['a', 'a'],
    ],
  );
});

test('bad input and failing user code surface with codes naming the operator', () => {
  const p = pipeline('errors');
  p.from('orders', topic('orders', json(Order)))
    .map((o) => {
      if (o.sku === 'boom') throw new Error('cannot price boom');
      return { sku: o.sku, big: BigInt(o.qty) };
    })
    .to('out', topic('out', json()));
  const driver = new TestDriver(p);
  assert.throws(
    () => driver.pipeRawInput('orders', Buffer.from('{not json')),
    // The decoder's own code, as in a real run (error-policies.test.ts).
    (e) => isEngineError(e, 'INVALID_JSON') && e.message.includes("source 'orders'"),
  );
  assert.throws(
    () => driver.pipeInput('orders', { sku: 'a', qty: -1, type: 'placed' }),
    (e) => isEngineError(e, 'INVALID_RECORD') && e.message.includes('qty'),
  );
  assert.throws(
    () => driver.pipeInput('orders', { sku: 'boom', qty: 1, type: 'placed' }),
    (e) => isEngineError(e, 'PROCESSING_FAILED') && e.details.operator === 'map#1',
  );
  assert.throws(
    () => driver.pipeInput('orders', { sku: 'a', qty: 1, type: 'placed' }),
    (e) => isEngineError(e) && e.details.operator === "sink 'out'",
  );
});

test('processing-time timers fire once when due, per key, and can be cancelled', () => {
  const p = pipeline('timers');
  p.from('visits', topic('visits', json<{ user: string; stop?: boolean }>()))
    .keyBy((v) => v.user)
    .process(
      'session-end',
      {
        process: (visit, ctx) => {
          const started = ctx.state<number>('started');
          if (visit.stop === true) {
            const at = started.get();
            if (at !== undefined) ctx.timers.cancel(at + 1000);
            started.clear();
            return [];
          }
          if (started.get() === undefined) {
            started.set(ctx.now);
            ctx.timers.processingTime(ctx.now + 1000);
          }
          return [];
        },
        onTimer: (at, ctx) => {
          ctx.state<number>('started').clear();
          return [{ user: ctx.key, endedAt: at }];
        },
      },
      { stores: [{ name: 'started' }] },
    )
    .to('ends', topic('session-ends', json()));
  const driver = new TestDriver(p, { startTime: 10_000 });
  driver.pipeInput('visits', { user: 'ann' });
  driver.advanceTime(500);
  driver.pipeInput('visits', { user: 'bob' });
  driver.pipeInput('visits', { user: 'ann' });
  driver.pipeInput('visits', { user: 'cid' });
  driver.pipeInput('visits', { user: 'cid', stop: true });
  driver.advanceTime(499);
  assert.deepEqual(driver.readOutput('session-ends'), []);
  driver.advanceTime(1);
  assert.deepEqual(
    driver.readOutput('session-ends').map((r) => [r.key, r.value, r.timestamp]),
    [['ann', { user: 'ann', endedAt: 11_000 }, 11_000]],
  );
  driver.advanceTime(10_000);
  assert.deepEqual(
    driver.readOutput('session-ends').map((r) => r.value),
    [{ user: 'bob', endedAt: 11_500 }],
  );
  driver.advanceTime(10_000);
  assert.deepEqual(driver.readOutput('session-ends'), []);
});
