import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { json, pipeline, text, topic } from '../dsl/index.ts';
import { validatePlan } from '../plan/index.ts';
import { TestDriver } from './test-driver.ts';

/**
 * Global-table joins through the test driver against a nested-loop reference over the same interleaved
 * input: a product record sets (a null value deletes) its key's row; an order joins the row of the key
 * its `keyOf` computes, as of every product record piped before it. Inner and left joins, in a
 * sub-topology of their own and after a repartition (the global table is copied into each
 * sub-topology that joins it).
 */
interface Order {
  id: number;
  product: string | null;
  region: string;
}

type Input =
  | { kind: 'product'; key: string; price: number | null }
  | { kind: 'order'; id: number; product: string | null; region: string };

const inputArb: fc.Arbitrary<Input[]> = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant('product' as const),
      key: fc.constantFrom('p1', 'p2', 'p3'),
      price: fc.option(fc.integer({ min: 1, max: 99 }), { nil: null, freq: 4 }),
    }),
    fc.record({
      kind: fc.constant('order' as const),
      id: fc.nat(1000),
      product: fc.option(fc.constantFrom('p1', 'p2', 'p3', 'p4'), { nil: null, freq: 8 }),
      region: fc.constantFrom('north', 'south'),
    }),
  ),
  { maxLength: 40 },
);

function globalPipeline() {
  const p = pipeline('global-joins');
  const products = p.globalTable('products', topic('products', json<{ price: number }>(), { key: text() }));
  const orders = p.from('orders', topic('orders', json<Order>()));
  orders
    .join(
      products,
      (o) => o.product,
      (o, row) => ({ id: o.id, price: row.price }),
    )
    .to('inner-out', topic('inner', json()));
  orders
    .leftJoin(
      products,
      (o) => o.product,
      (o, row) => ({ id: o.id, price: row?.price ?? null }),
    )
    .to('left-out', topic('left', json()));
  // After a keyed aggregation (another sub-topology): orders per region so far, priced.
  orders
    .keyBy((o) => o.region)
    .aggregate(
      'last-order',
      () => ({ id: -1, product: null as string | null }),
      (_acc, o) => ({ id: o.id, product: o.product }),
    )
    .toStream()
    .leftJoin(
      products,
      (last) => last.product,
      (last, row, region) => ({ region, id: last.id, price: row?.price ?? null }),
    )
    .to('regions-out', topic('regions', json()));
  return p;
}

test('global-table joins equal a nested-loop reference, in two sub-topologies (property)', () => {
  assert.match(globalPipeline().explain(), /2 sub-topologies/);
  fc.assert(
    fc.property(inputArb, (inputs) => {
      const driver = new TestDriver(globalPipeline());
      const rows = new Map<string, number>();
      const expected = { inner: [] as unknown[], left: [] as unknown[], regions: [] as unknown[] };
      for (const input of inputs) {
        if (input.kind === 'product') {
          driver.pipeInput('products', input.price === null ? null : { price: input.price }, {
            key: input.key,
          });
          if (input.price === null) rows.delete(input.key);
          else rows.set(input.key, input.price);
          continue;
        }
        driver.pipeInput('orders', { id: input.id, product: input.product, region: input.region });
        const price = input.product === null ? undefined : rows.get(input.product);
        if (price !== undefined) expected.inner.push({ id: input.id, price });
        expected.left.push({ id: input.id, price: price ?? null });
        expected.regions.push({ region: input.region, id: input.id, price: price ?? null });
      }
      const values = (t: string) => driver.readOutput(t).map((r) => r.value);
      assert.deepEqual(values('inner'), expected.inner);
      assert.deepEqual(values('left'), expected.left);
      assert.deepEqual(values('regions'), expected.regions);
    }),
    { numRuns: 500 },
  );
});

test('a global table can only be joined; validation names it', () => {
  const p = pipeline('global-misuse');
  const products = p.globalTable('products', topic('products', json<number>(), { key: text() }));
  p.from('orders', topic('orders', json<{ product: string }>()))
    .join(
      products,
      (o) => o.product,
      (o, price) => ({ ...o, price }),
    )
    .to('out', topic('out', json()));
  assert.deepEqual(p.validate(), []);
  const plan = p.plan();
  const table = plan.nodes.find((n) => n.kind === 'toTable')!;
  const misuse = {
    ...plan,
    nodes: [...plan.nodes, { id: plan.nodes.length, kind: 'toStream' as const, inputs: [table.id] }],
  };
  assert.deepEqual(
    validatePlan(misuse).map((i) => i.code),
    ['INVALID_ARGUMENT'],
  );
});
