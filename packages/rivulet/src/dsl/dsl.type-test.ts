/**
 * Compile-time tests of the DSL's types, checked by `tsc -p tsconfig.json` in CI (never executed). Every
 * `@ts-expect-error` marks a chain that must NOT compile: if it ever compiles, tsc reports the directive
 * as unused and CI fails. The other lines must compile with the types they assert.
 */
import { z } from 'zod';
import { json, pipeline, type Stream, type Table, text, topic } from './index.ts';

const Order = z.object({
  orderId: z.string(),
  sku: z.string(),
  qty: z.number().int(),
  type: z.enum(['placed', 'cancelled', 'shipped']),
});
const Movement = z.object({
  sku: z.string(),
  qty: z.number(),
  kind: z.enum(['received', 'reserved', 'released']),
});

/** Mutual assignability: the types accept exactly the same values (zod's mapped types are not 'identical'). */
type Equals<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function expectType<A, B>(_proof: Equals<A, B>): void {}

const p = pipeline('types');
const orders = p.from('orders', topic('orders', json(Order)));
expectType<
  typeof orders,
  Stream<{ orderId: string; sku: string; qty: number; type: 'placed' | 'cancelled' | 'shipped' }, unknown>
>(true);

// The schema's type flows through map without explicit generics.
const skus = orders.map((o) => o.sku);
expectType<typeof skus, Stream<string, unknown>>(true);
// @ts-expect-error: no such field on Order
orders.map((o) => o.price);

// A type-guard filter narrows; a boolean filter does not.
const placed = orders.filter((o): o is typeof o & { type: 'placed' } => o.type === 'placed');
expectType<typeof placed, Stream<{ orderId: string; sku: string; qty: number; type: 'placed' }, unknown>>(
  true,
);
// @ts-expect-error: a narrowed stream is no longer a stream of every order
expectType<typeof placed, typeof orders>(true);
const big = orders.filter((o) => o.qty > 10);
expectType<typeof big, typeof orders>(true);

// keyBy gives a KeyedStream whose aggregations make typed tables.
const bySku = orders.keyBy((o) => o.sku);
const counts = bySku.count('orders-per-sku');
expectType<typeof counts, Table<string, number>>(true);
const stock = bySku.aggregate(
  'stock',
  () => 0,
  (level, o, key) => {
    expectType<typeof key, string>(true);
    return o.type === 'placed' ? level - o.qty : level;
  },
);
expectType<typeof stock, Table<string, number>>(true);
bySku.aggregate(
  'bad',
  () => 0,
  // @ts-expect-error: the accumulator type is fixed by init (number), add must return number
  (level, o) => `${level}${o.sku}`,
);
// @ts-expect-error: aggregations need a key: a plain stream has no count()
orders.count('no-key');
// @ts-expect-error: sum needs a number extractor
bySku.sum('bad-sum', (o) => o.sku);

// Sinks accept the stream's type; a text topic takes strings only.
skus.to('sku-out', topic('skus', text()));
// @ts-expect-error: a stream of objects cannot go to a text topic
orders.to('orders-out', topic('orders-copy', text()));
counts.toStream().to('counts-out', topic('counts', json()));
// @ts-expect-error: a sink needs a name
orders.to(topic('orders-copy2', json()));

// merge takes streams of the same type only.
const movements = p.from('movements', topic('movements', json(Movement)));
const deltas = orders
  .map((o) => ({ sku: o.sku, delta: -o.qty }))
  .merge(movements.map((m) => ({ sku: m.sku, delta: m.qty })));
expectType<typeof deltas, Stream<{ sku: string; delta: number }, unknown>>(true);
// @ts-expect-error: merging a stream of strings into a stream of objects
deltas.merge(skus);

// split: named branches, type guards narrow their branch, `default` holds the rest.
const parts = orders.split('by-type', {
  placed: (o): o is typeof o & { type: 'placed' } => o.type === 'placed',
  large: (o) => o.qty > 100,
});
expectType<typeof parts.large, typeof orders>(true);
expectType<typeof parts.default, typeof orders>(true);
// @ts-expect-error: no branch of that name
parts.cancelled;

// process: per-key state; the output type is inferred from what process returns.
const alerts = bySku.process(
  'low-stock',
  {
    process(order, context) {
      const level = context.state<number>('levels');
      level.set((level.get() ?? 0) - order.qty);
      return [{ sku: context.key, level: level.get() ?? 0 }];
    },
  },
  { stores: [{ name: 'levels' }] },
);
expectType<typeof alerts, Stream<{ sku: string; level: number }, string>>(true);

// A key format types the source's keys; groupByKey groups by them, so tables are keyed by that type.
const keyedOrders = p.from('keyed-orders', topic('keyed-orders', json(Order), { key: text() }));
expectType<typeof keyedOrders, Stream<z.infer<typeof Order>, string>>(true);
const perKey = keyedOrders.groupByKey().sum('qty-by-key', (o) => o.qty);
expectType<typeof perKey, Table<string, number>>(true);
// @ts-expect-error: the grouped values are orders, not numbers
keyedOrders.groupByKey().sum('bad-sum', (o: number) => o);

// Tables: a topic table keyed by text can delete (its changelog carries nulls); joins need the same key type.
const stockTable = p.table('stock-table', topic('stock-table', json<number>(), { key: text() }));
expectType<typeof stockTable, Table<string, number, null>>(true);
expectType<ReturnType<typeof stockTable.toStream>, Stream<number | null, string>>(true);
const enriched = keyedOrders
  .groupByKey()
  .leftJoin(stockTable, (order, level) => ({ sku: order.sku, level: level ?? 0 }));
expectType<typeof enriched, Stream<{ sku: string; level: number }, string>>(true);
const numberKeyed = orders.keyBy((o) => o.qty);
// @ts-expect-error: a table keyed by string cannot join a stream keyed by number
numberKeyed.join(stockTable, (o, level) => o.qty + level);
// @ts-expect-error: an inner join's row is never undefined, a left join's may be
keyedOrders.groupByKey().leftJoin(stockTable, (_o, level: number) => level);

// Stream-stream joins: the other stream has the stream's key type; which side may be undefined follows
// the join; the late stream tags each record with its side.
type OrderT = z.infer<typeof Order>;
type MovementT = z.infer<typeof Movement>;
const movesBySku = movements.keyBy((m) => m.sku);
const orderMoves = bySku.join('order-moves', movesBySku, '1h', (o, m, sku) => ({ sku, net: o.qty - m.qty }));
expectType<
  typeof orderMoves,
  import('./index.ts').JoinedStream<{ sku: string; net: number }, string, OrderT, MovementT>
>(true);
expectType<
  typeof orderMoves.late,
  Stream<{ side: 'left'; value: OrderT } | { side: 'right'; value: MovementT }, string>
>(true);
const leftMoves = bySku.leftJoin('left-moves', movesBySku, 60_000, (o, m) => o.qty - (m?.qty ?? 0));
expectType<typeof leftMoves, import('./index.ts').JoinedStream<number, string, OrderT, MovementT>>(true);
const outerMoves = bySku.outerJoin('outer-moves', movesBySku, '5m', (o, m) => (o?.qty ?? 0) - (m?.qty ?? 0), {
  allowedLateness: '1m',
});
expectType<typeof outerMoves, import('./index.ts').JoinedStream<number, string, OrderT, MovementT>>(true);
const movesByQty = movements.keyBy((m) => m.qty);
// @ts-expect-error: a stream keyed by number cannot join a stream keyed by string
bySku.join('by-qty', movesByQty, '1h', (o, m) => o.qty + m.qty);
// @ts-expect-error: a left join's right side may be undefined
bySku.leftJoin('bad-left', movesBySku, '1h', (_o, m: MovementT) => m.qty);
// @ts-expect-error: an outer join's left side may be undefined too
bySku.outerJoin('bad-outer', movesBySku, '1h', (o: OrderT, m) => o.qty + (m?.qty ?? 0));
// @ts-expect-error: a stream-stream join needs its bound
bySku.join('no-bound', movesBySku, (o: OrderT) => o.qty);

// Global tables: a stream joins them by a key it computes, of the table's key type.
const globalStock = p.globalTable('global-stock', topic('global-stock', json<number>(), { key: text() }));
const withStock = orders.leftJoin(
  globalStock,
  (o) => o.sku,
  (o, level) => ({ sku: o.sku, level: level ?? 0 }),
);
expectType<typeof withStock, Stream<{ sku: string; level: number }, unknown>>(true);
orders.join(
  globalStock,
  // @ts-expect-error: the lookup key must have the table's key type (string), not a number
  (o) => o.qty,
  (o, level) => o.qty + level,
);

// Table-table joins: the other table has the table's key type; the result is a table that can delete
// (its changelog carries nulls); which side may be undefined follows the join.
const skuNames = p.table('sku-names', topic('sku-names', json<string>(), { key: text() }));
const named = stockTable.join('named-stock', skuNames, (level, label, sku) => ({ sku, label, level }));
expectType<typeof named, Table<string, { sku: string; label: string; level: number }, null>>(true);
expectType<
  ReturnType<typeof named.toStream>,
  Stream<{ sku: string; label: string; level: number } | null, string>
>(true);
const leftNamed = stockTable.leftJoin('left-named', skuNames, (level, label) => `${label ?? '?'}:${level}`);
expectType<typeof leftNamed, Table<string, string, null>>(true);
const outerNamed = stockTable.outerJoin('outer-named', skuNames, (level, label) => [level, label] as const);
expectType<typeof outerNamed, Table<string, readonly [number | undefined, string | undefined], null>>(true);
// A table that never deletes (mapValues of an aggregation's table) can be a side too.
const perKeyRows = perKey.mapValues('per-key-rows', (n) => n);
expectType<typeof perKeyRows, Table<string, number>>(true);
const withTotals = stockTable.join('with-totals', perKeyRows, (level, total) => level - total);
expectType<typeof withTotals, Table<string, number, null>>(true);
// A join's result joins on: as a stream-table join's table, and in another table-table join.
const namedOrders = keyedOrders.groupByKey().join(named, (o, row) => `${row.label} x${o.qty}`);
expectType<typeof namedOrders, Stream<string, string>>(true);
expectType<ReturnType<typeof named.join<string, number>>, Table<string, number, null>>(true);
const qtyTable = orders.keyBy((o) => o.qty).toTable('qty-table');
// @ts-expect-error: a table keyed by number cannot join a table keyed by string
stockTable.join('by-qty-table', qtyTable, (level, o) => level + o.qty);
// @ts-expect-error: a left table join's right row may be undefined
stockTable.leftJoin('bad-left-table', skuNames, (_level, label: string) => label);
// @ts-expect-error: an outer table join's left row may be undefined too
stockTable.outerJoin('bad-outer-table', skuNames, (level: number, label) => `${label}${level}`);
// @ts-expect-error: a table-table join needs the result's store name
stockTable.join(skuNames, (level: number, label: string) => `${label}${level}`);

// Foreign-key joins: the foreign key has the global table's key type; the result is keyed like the left.
const pricedOrders = stockTable.joinOn(
  'priced-stock',
  globalStock,
  (level) => `sku-${level}`,
  (level, other) => level + other,
);
expectType<typeof pricedOrders, Table<string, number, null>>(true);
stockTable.joinOn(
  'bad-fk',
  globalStock,
  // @ts-expect-error: the foreign key must have the global table's key type (string)
  (level) => level,
  (level, other) => level + other,
);

// Temporal joins: a table of the stream's key type; the row is never undefined in joinAsOf, may be in
// leftJoinAsOf; `late` tags stream records 'left' and table versions 'right' (a deletion as null).
const levelsByTime = movements.keyBy((m) => m.sku).toTable('levels-by-time');
const asOf = bySku.joinAsOf('as-of', levelsByTime, (o, m, sku) => ({ sku, net: o.qty - m.qty }), {
  history: '1m',
});
expectType<
  typeof asOf,
  import('./index.ts').JoinedStream<{ sku: string; net: number }, string, OrderT, MovementT | null>
>(true);
expectType<
  typeof asOf.late,
  Stream<{ side: 'left'; value: OrderT } | { side: 'right'; value: MovementT | null }, string>
>(true);
const leftAsOf = bySku.leftJoinAsOf('left-as-of', levelsByTime, (o, m) => o.qty - (m?.qty ?? 0));
expectType<typeof leftAsOf, import('./index.ts').JoinedStream<number, string, OrderT, MovementT | null>>(
  true,
);
const levelsByQty = movements.keyBy((m) => m.qty).toTable('levels-by-qty');
// @ts-expect-error: a stream keyed by string cannot join a table keyed by number
bySku.joinAsOf('as-of-qty', levelsByQty, (o, m) => o.qty + m.qty);
// @ts-expect-error: a left temporal join's row may be undefined
bySku.leftJoinAsOf('bad-left-as-of', levelsByTime, (_o, m: MovementT) => m.qty);
// @ts-expect-error: a temporal join needs its name (the store of its waiting records and versions)
bySku.joinAsOf(levelsByTime, (o: OrderT) => o.qty);
