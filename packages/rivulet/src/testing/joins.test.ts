import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { json, pipeline, text, topic } from '../dsl/index.ts';
import { TestDriver } from './test-driver.ts';

/**
 * Tables and stream-table joins through the test driver against a nested-loop reference over the same
 * interleaved input: a table record sets (or, with a null value, deletes) its key's row; an order joins
 * the row its key has after every table record piped before it. Covers `pipeline.table` with
 * tombstones, `mapValues`, `filter` (a rejected value deletes the key), `join` (inner) and `leftJoin`,
 * and the tables' changelogs (a change per update; a deletion only for a key that was there).
 */
interface Order {
  id: number;
  qty: number;
}

type Input =
  | { kind: 'stock'; key: string; value: number | null }
  | { kind: 'order'; key: string; id: number; qty: number };

const inputArb: fc.Arbitrary<Input[]> = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant('stock' as const),
      key: fc.constantFrom('a', 'b', 'c'),
      value: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null, freq: 4 }),
    }),
    fc.record({
      kind: fc.constant('order' as const),
      key: fc.constantFrom('a', 'b', 'c', 'd'),
      id: fc.nat(1000),
      qty: fc.integer({ min: 1, max: 5 }),
    }),
  ),
  { maxLength: 40 },
);

function joinsPipeline() {
  const p = pipeline('joins');
  const stock = p.table('stock', topic('stock', json<number>(), { key: text() }));
  const plenty = stock.filter('plenty', (level) => level >= 5);
  const doubled = stock.mapValues('doubled', (level, key) => `${key}:${level * 2}`);
  const orders = p.from('orders', topic('orders', json<Order>(), { key: text() })).groupByKey();
  orders
    .join(stock, (order, level, key) => ({ id: order.id, key, enough: level >= order.qty }))
    .to('inner-out', topic('inner', json()));
  orders
    .leftJoin(plenty, (order, level) => ({ id: order.id, level: level ?? null }))
    .to('left-out', topic('left', json()));
  orders
    .join(doubled, (order, label) => ({ id: order.id, label }))
    .to('doubled-out', topic('doubled', json()));
  stock.toStream().to('stock-changes', topic('stock-changes', json()));
  plenty.toStream().to('plenty-changes', topic('plenty-changes', json()));
  return p;
}

/** The same by nested loops: for each order, the rows as of the table records before it. */
function reference(inputs: Input[]) {
  const out = {
    inner: [] as unknown[],
    left: [] as unknown[],
    doubled: [] as unknown[],
    stockChanges: [] as Array<[string, number | null]>,
    plentyChanges: [] as Array<[string, number | null]>,
  };
  inputs.forEach((input, i) => {
    const before = inputs.slice(0, i);
    const rowOf = (key: string): number | undefined => {
      let row: number | undefined;
      for (const x of before) if (x.kind === 'stock' && x.key === key) row = x.value ?? undefined;
      return row;
    };
    if (input.kind === 'order') {
      const level = rowOf(input.key);
      if (level !== undefined) {
        out.inner.push({ id: input.id, key: input.key, enough: level >= input.qty });
        out.doubled.push({ id: input.id, label: `${input.key}:${level * 2}` });
      }
      out.left.push({ id: input.id, level: level !== undefined && level >= 5 ? level : null });
      return;
    }
    const had = rowOf(input.key);
    if (input.value !== null) out.stockChanges.push([input.key, input.value]);
    else if (had !== undefined) out.stockChanges.push([input.key, null]);
    const plentyBefore = had !== undefined && had >= 5;
    if (input.value !== null && input.value >= 5) out.plentyChanges.push([input.key, input.value]);
    else if (plentyBefore) out.plentyChanges.push([input.key, null]);
  });
  return out;
}

test('tables and stream-table joins equal a nested-loop reference over the same interleaved input (property)', () => {
  fc.assert(
    fc.property(inputArb, (inputs) => {
      const driver = new TestDriver(joinsPipeline());
      for (const input of inputs) {
        if (input.kind === 'stock') driver.pipeInput('stock', input.value, { key: input.key });
        else driver.pipeInput('orders', { id: input.id, qty: input.qty }, { key: input.key });
      }
      const expected = reference(inputs);
      const values = (t: string) => driver.readOutput(t).map((r) => r.value);
      const changes = (t: string) => driver.readOutput(t).map((r) => [r.key, r.value]);
      assert.deepEqual(values('inner'), expected.inner);
      assert.deepEqual(values('left'), expected.left);
      assert.deepEqual(values('doubled'), expected.doubled);
      assert.deepEqual(changes('stock-changes'), expected.stockChanges);
      assert.deepEqual(changes('plenty-changes'), expected.plentyChanges);
      // The stores hold the final tables.
      const final = new Map<string, number>();
      for (const x of inputs)
        if (x.kind === 'stock') {
          if (x.value === null) final.delete(x.key);
          else final.set(x.key, x.value);
        }
      assert.deepEqual(
        driver.storeEntries('stock'),
        [...final].sort(([a], [b]) => a.localeCompare(b)),
      );
      assert.deepEqual(
        driver.storeEntries('plenty'),
        [...final].filter(([, v]) => v >= 5).sort(([a], [b]) => a.localeCompare(b)),
      );
    }),
    { numRuns: 500 },
  );
});

test('a keyBy before a join repartitions the stream; key formats must match; a throwing joiner fails the record', () => {
  const build = (tableKey: 'json' | 'text') => {
    const p = pipeline('join-rekeyed');
    const stock =
      tableKey === 'json'
        ? p.table('stock', topic('stock', json<number>(), { key: json<string>() }))
        : p.table('stock', topic('stock', json<number>(), { key: text() }));
    p.from('orders', topic('orders', json<{ sku: string; qty: number }>()))
      .keyBy((o) => o.sku)
      .join(stock, (o, level) => {
        if (o.qty === 13) throw new Error('unlucky thirteen');
        return { sku: o.sku, left: level - o.qty };
      })
      .to('out', topic('out', json()));
    return p;
  };
  assert.deepEqual(
    build('text')
      .validate()
      .map((i) => i.code),
    ['KEY_FORMAT_MISMATCH'],
  );
  const p = build('json');
  assert.match(p.explain(), /repartition/);
  const driver = new TestDriver(p);
  driver.pipeInput('stock', 10, { key: 'apple' });
  driver.pipeInput('orders', { sku: 'apple', qty: 3 });
  driver.pipeInput('orders', { sku: 'pear', qty: 1 });
  assert.deepEqual(
    driver.readOutput('out').map((r) => r.value),
    [{ sku: 'apple', left: 7 }],
  );
  assert.throws(
    () => driver.pipeInput('orders', { sku: 'apple', qty: 13 }),
    (e: Error) => /unlucky thirteen/.test(e.message),
  );
});
