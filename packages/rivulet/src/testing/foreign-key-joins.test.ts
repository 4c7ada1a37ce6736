import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { json, pipeline, text, topic } from '../dsl/index.ts';
import { TestDriver } from './test-driver.ts';

/**
 * Foreign-key joins through the test driver against a reference recomputed from scratch: random
 * interleavings of order rows (which product they point at may change, be null or vanish) and product
 * rows (a global table, with deletions). After every input, each result table equals the join of the
 * current order and product tables by a plain loop, and the changelog of that input is exactly the
 * difference from the previous result (per key: the new row, or null for a vanished one).
 */
interface OrderRow {
  product: string | null;
  qty: number;
}

type Input =
  | { kind: 'order'; id: string; row: OrderRow | null }
  | { kind: 'product'; id: string; price: number | null };

const inputArb: fc.Arbitrary<Input[]> = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant('order' as const),
      id: fc.constantFrom('o1', 'o2', 'o3', 'o4'),
      row: fc.option(
        fc.record({
          product: fc.option(fc.constantFrom('p1', 'p2', 'p3'), { nil: null, freq: 6 }),
          qty: fc.integer({ min: 1, max: 5 }),
        }),
        { nil: null, freq: 5 },
      ),
    }),
    fc.record({
      kind: fc.constant('product' as const),
      id: fc.constantFrom('p1', 'p2', 'p3'),
      price: fc.option(fc.integer({ min: 1, max: 9 }), { nil: null, freq: 4 }),
    }),
  ),
  { maxLength: 40 },
);

function fkPipeline(productsAs: 'global' | 'table') {
  const p = pipeline('fk-joins');
  const productsTopic = topic('products', json<{ price: number }>(), { key: text() });
  const products =
    productsAs === 'global' ? p.globalTable('products', productsTopic) : p.table('products', productsTopic);
  const orders = p.table('orders', topic('orders', json<OrderRow>(), { key: text() }));
  orders
    .joinOn(
      'priced',
      products,
      (o) => o.product,
      (o, product, id) => ({ id, total: o.qty * product.price }),
    )
    .toStream()
    .to('priced-out', topic('priced', json()));
  orders
    .leftJoinOn(
      'priced-left',
      products,
      (o) => o.product,
      (o, product) => ({ qty: o.qty, price: product?.price ?? null }),
    )
    .toStream()
    .to('left-out', topic('left', json()));
  return p;
}

type Rows = Map<string, unknown>;

function joinTables(orders: Map<string, OrderRow>, products: Map<string, number>, left: boolean): Rows {
  const out: Rows = new Map();
  for (const [id, o] of orders) {
    const price = o.product === null ? undefined : products.get(o.product);
    if (!left && price !== undefined) out.set(id, { id, total: o.qty * price });
    if (left) out.set(id, { qty: o.qty, price: price ?? null });
  }
  return out;
}

function diff(before: Rows, after: Rows): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(key);
    const b = after.get(key);
    if (b === undefined) {
      if (a !== undefined) out.push([key, null]);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push([key, b]);
  }
  return out.sort(([x], [y]) => x.localeCompare(y));
}

test('foreign-key joins: after every input the result tables and their changelogs equal a reference (property)', () => {
  fc.assert(
    fc.property(inputArb, fc.constantFrom('global' as const, 'table' as const), (inputs, productsAs) => {
      const driver = new TestDriver(fkPipeline(productsAs));
      const orders = new Map<string, OrderRow>();
      const products = new Map<string, number>();
      let inner: Rows = new Map();
      let left: Rows = new Map();
      for (const input of inputs) {
        if (input.kind === 'order') {
          driver.pipeInput('orders', input.row, { key: input.id });
          if (input.row === null) orders.delete(input.id);
          else orders.set(input.id, input.row);
        } else {
          driver.pipeInput('products', input.price === null ? null : { price: input.price }, {
            key: input.id,
          });
          if (input.price === null) products.delete(input.id);
          else products.set(input.id, input.price);
        }
        const nextInner = joinTables(orders, products, false);
        const nextLeft = joinTables(orders, products, true);
        const changes = (t: string) =>
          driver
            .readOutput(t)
            .map((r): [string, unknown] => [r.key as string, r.value])
            .sort(([x], [y]) => x.localeCompare(y));
        assert.deepEqual(changes('priced'), diff(inner, nextInner), `inner after ${JSON.stringify(input)}`);
        assert.deepEqual(changes('left'), diff(left, nextLeft), `left after ${JSON.stringify(input)}`);
        inner = nextInner;
        left = nextLeft;
      }
      const sorted = (rows: Rows) => [...rows].sort(([x], [y]) => x.localeCompare(y));
      assert.deepEqual(driver.storeEntries('priced'), sorted(inner));
      assert.deepEqual(driver.storeEntries('priced-left'), sorted(left));
    }),
    { numRuns: 500 },
  );
});

test('a foreign-key join needs a global table on the other side; a throwing foreign key fails the change', () => {
  const p = pipeline('fk-errors');
  const products = p.globalTable('products', topic('products', json<{ price: number }>(), { key: text() }));
  p.table('orders', topic('orders', json<OrderRow>(), { key: text() }))
    .joinOn(
      'priced',
      products,
      (o) => {
        if (o.qty === 13) throw new Error('unlucky thirteen');
        return o.product;
      },
      (o, product) => o.qty * product.price,
    )
    .toStream()
    .to('out', topic('out', json()));
  assert.deepEqual(p.validate(), []);
  assert.match(p.explain(), /inner foreign-key join 'priced'/);
  // A derived table cannot be read whole from a topic: refused when the join is declared.
  const derived = p
    .table('catalog', topic('catalog', json<{ price: number }>(), { key: text() }))
    .filter('cheap', (row) => row.price < 5);
  assert.throws(
    () =>
      p.table('carts', topic('carts', json<OrderRow>(), { key: text() })).joinOn(
        'carts-priced',
        derived,
        (o) => o.product,
        (o, row) => o.qty * row.price,
      ),
    /must be a global table or a table read from a topic/,
  );
  const driver = new TestDriver(p);
  driver.pipeInput('products', { price: 3 }, { key: 'p1' });
  driver.pipeInput('orders', { product: 'p1', qty: 2 }, { key: 'o1' });
  assert.deepEqual(
    driver.readOutput('out').map((r) => [r.key, r.value]),
    [['o1', 6]],
  );
  assert.throws(
    () => driver.pipeInput('orders', { product: 'p1', qty: 13 }, { key: 'o2' }),
    (e: Error) => /unlucky thirteen/.test(e.message),
  );
});
