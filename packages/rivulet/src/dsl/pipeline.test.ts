import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { isEngineError } from '../model/index.ts';
import {
  buildTopology,
  type Plan,
  type PlanNode,
  planToJson,
  type SourceNode,
  validatePlan,
} from '../plan/index.ts';
import { boundedOutOfOrder, json, pipeline, session, text, topic, tumbling } from './index.ts';

const Order = z.object({
  sku: z.string(),
  qty: z.number(),
  type: z.enum(['placed', 'cancelled', 'shipped']),
});
const Movement = z.object({
  sku: z.string(),
  qty: z.number(),
  kind: z.enum(['received', 'reserved', 'released']),
});

function stockTracker(): Plan {
  const p = pipeline('stock-tracker');
  const orders = p.from('orders', topic('orders', json(Order)));
  const movements = p.from('movements', topic('stock-movements', json(Movement)));
  const deltas = orders
    .map((o) => ({ sku: o.sku, delta: o.type === 'placed' ? -o.qty : o.type === 'cancelled' ? o.qty : 0 }))
    .merge(
      movements.map((m) => ({
        sku: m.sku,
        delta: m.kind === 'received' || m.kind === 'released' ? m.qty : -m.qty,
      })),
    );
  const levels = deltas.keyBy((d) => d.sku).sum('stock-level', (d) => d.delta);
  levels.toStream().to('levels-out', topic('stock-levels', json()));
  orders
    .filter((o) => o.qty > 100)
    .map((o) => o.sku)
    .to('big-orders', topic('big-orders', text()));
  return p.plan();
}

test('the DSL builds a frozen, JSON-serialisable plan with every user function referenced', () => {
  const plan = stockTracker();
  assert.ok(
    Object.isFrozen(plan) && Object.isFrozen(plan.nodes) && plan.nodes.every((n) => Object.isFrozen(n)),
  );
  const data = JSON.parse(JSON.stringify(planToJson(plan))) as ReturnType<typeof planToJson>;
  assert.deepEqual(
    data.nodes.map((n) => n.kind),
    [
      'source',
      'source',
      'map',
      'map',
      'merge',
      'keyBy',
      'aggregate',
      'toStream',
      'sink',
      'filter',
      'map',
      'sink',
    ],
  );
  for (const node of plan.nodes) {
    for (const value of Object.values(node))
      if (typeof value === 'string' && /^f\d+$/.test(value)) assert.ok(plan.functions.has(value));
  }
});

test('a keyBy feeding an aggregation splits the plan at a repartition topic', () => {
  const topology = buildTopology(stockTracker());
  assert.equal(topology.subTopologies.length, 2);
  const [first, second] = topology.subTopologies;
  assert.deepEqual(
    first!.inputs.map((i) => i.topic),
    ['orders', 'stock-movements'],
  );
  assert.deepEqual(
    first!.repartitions.map((r) => r.topic),
    ['stock-tracker-keyBy5-repartition'],
  );
  assert.deepEqual(
    first!.sinks.map((s) => s.topic),
    ['big-orders'],
  );
  assert.deepEqual(
    second!.inputs.map((i) => [i.topic, i.kind]),
    [['stock-tracker-keyBy5-repartition', 'repartition']],
  );
  assert.deepEqual(
    second!.stores.map((s) => [s.name, s.changelogTopic]),
    [['stock-level', 'stock-tracker-stock-level-changelog']],
  );
  assert.deepEqual(
    second!.sinks.map((s) => s.topic),
    ['stock-levels'],
  );
  assert.deepEqual(topology.internalTopics, [
    { topic: 'stock-tracker-keyBy5-repartition', kind: 'repartition' },
    { topic: 'stock-tracker-stock-level-changelog', kind: 'changelog' },
  ]);
});

test('every reader of a repartition topic is in one sub-topology: one task per input partition', () => {
  // A checkpoint keeps one position per input partition; readers in separate tasks would each resume
  // from one of their positions (a crash test found windows counted twice and windows lost this way).
  const p = pipeline('readers');
  const keyed = p
    .from('events', topic('events', json<{ k: string; t: number }>()))
    .eventTime((e) => e.t, boundedOutOfOrder('1s'))
    .keyBy((e) => e.k);
  keyed.window(tumbling('1m')).count('per-minute').to('minutes', topic('minutes', json()));
  keyed.window(session('5m')).count('per-session').to('sessions', topic('sessions', json()));
  keyed.count('per-key').toStream().to('keys', topic('keys', json()));
  const topology = buildTopology(p.plan());
  const readers = topology.subTopologies.filter((s) =>
    s.inputs.some((i) => i.topic === 'readers-keyBy2-repartition'),
  );
  assert.equal(readers.length, 1);
  assert.deepEqual(readers[0]!.stores.map((s) => s.name).sort(), ['per-key', 'per-minute', 'per-session']);
  assert.equal(topology.subTopologies.length, 2);
});

test('a topic read by two sources is refused (DUPLICATE_SOURCE_TOPIC); a global table may read it again', () => {
  const p = pipeline('twice');
  p.from('a', topic('events', json())).to('out-a', topic('out-a', json()));
  p.from('b', topic('events', json())).to('out-b', topic('out-b', json()));
  assert.deepEqual(
    p.validate().map((i) => `${i.code} ${i.operator}`),
    ["DUPLICATE_SOURCE_TOPIC source 'b'"],
  );
  assert.throws(
    () => p.plan(),
    (e) => isEngineError(e, 'INVALID_PLAN') && String(e.message).includes('DUPLICATE_SOURCE_TOPIC'),
  );
  const global = pipeline('global-too');
  const rates = global.globalTable('rates', topic('rates', json<number>(), { key: text() }));
  global
    .from('trades', topic('trades', json<{ ccy: string }>()))
    .join(
      rates,
      (t) => t.ccy,
      (t, r) => ({ ...t, r }),
    )
    .to('out', topic('out', json()));
  global
    .from('rates-stream', topic('rates', json<number>(), { key: text() }))
    .to('copy', topic('copy', json()));
  assert.deepEqual(global.validate(), []);
});

test('explain prints sub-topologies, repartition topics, stores and sinks', () => {
  const p = pipeline('shop');
  p.from('orders', topic('orders', json(Order)))
    .keyBy((o) => o.sku)
    .count('per-sku')
    .toStream()
    .to('out', topic('counts', json()));
  const text = p.explain();
  for (const expected of [
    'pipeline shop: 2 sub-topologies',
    "source 'orders' <- topic orders (key bytes, value json+schema, from earliest)",
    'repartition #1 -> topic shop-keyBy1-repartition',
    'reads shop-keyBy1-repartition (repartition)',
    "aggregate 'per-sku' (count) [store per-sku]",
    "store per-sku of 'per-sku' (changelog shop-per-sku-changelog)",
    "sink 'out' -> topic counts",
  ]) {
    assert.ok(text.includes(expected), `missing "${expected}" in:\n${text}`);
  }
});

test('validation reports every problem with its operator, and plan() refuses to build', () => {
  const p = pipeline('bad pipeline');
  const orders = p.from('orders', topic('orders', json()));
  orders.to('orders', topic('orders', json()));
  orders.to('', topic('other', json()));
  orders.keyBy((o) => String(o)).count('orders');
  orders.mapAsync('enrich', async (o) => o, { concurrency: 0 });
  const issues = p.validate();
  const summary = issues.map((i) => `${i.code} ${i.operator}`);
  assert.deepEqual(
    summary.sort(),
    [
      "DUPLICATE_NAME aggregate 'orders'",
      "DUPLICATE_NAME sink 'orders'",
      'INVALID_ARGUMENT bad pipeline',
      "INVALID_ARGUMENT mapAsync 'enrich'",
      "MISSING_NAME sink ''",
      "TOPIC_LOOP sink 'orders'",
    ].sort(),
  );
  assert.throws(
    () => p.plan(),
    (e) => isEngineError(e, 'INVALID_PLAN') && String(e.message).includes('TOPIC_LOOP'),
  );
});

test('a source built from a schema validates and types its records; violations are INVALID_RECORD', () => {
  const p = pipeline('v');
  p.from('orders', topic('orders', json(Order))).to('out', topic('out', json()));
  const plan = p.plan();
  const source = plan.nodes[0] as SourceNode;
  assert.equal(source.valueFormat.kind, 'json');
  const validate = plan.functions.get((source.valueFormat as { schema: string }).schema) as unknown as (
    v: unknown,
  ) => unknown;
  assert.deepEqual(validate({ sku: 'a', qty: 2, type: 'placed' }), { sku: 'a', qty: 2, type: 'placed' });
  assert.throws(
    () => validate({ sku: 'a', qty: 'two', type: 'placed' }),
    (e) => isEngineError(e, 'INVALID_RECORD') && String(e.message).includes('qty'),
  );
});

test('split routes to named branches plus default', () => {
  const p = pipeline('split');
  const parts = p
    .from('orders', topic('orders', json(Order)))
    .split('by-size', { small: (o) => o.qty < 10, medium: (o) => o.qty < 100 });
  parts.small.to('small', topic('small', json()));
  parts.default.to('large', topic('large', json()));
  const plan = p.plan();
  const branch = plan.nodes.find((n) => n.kind === 'branch');
  assert.deepEqual(branch && 'branchNames' in branch ? branch.branchNames : [], ['small', 'medium']);
  assert.deepEqual(
    plan.nodes.filter((n) => n.kind === 'branchOutput').map((n) => ('index' in n ? n.index : -1)),
    [0, 1, 2],
  );
});

test('groupByKey aggregates by the source key without a repartition topic, and is refused where keys are not partitioned', () => {
  const p = pipeline('by-key');
  const orders = p.from('orders', topic('orders', json(Order), { key: text() }));
  const totals = orders.groupByKey().sum('qty-per-key', (o) => o.qty);
  totals.toStream().to('totals-out', topic('totals', json()));
  assert.deepEqual(p.validate(), []);
  const topology = buildTopology(p.plan());
  assert.equal(topology.subTopologies.length, 1);
  assert.deepEqual(topology.subTopologies[0]!.repartitions, []);
  assert.deepEqual(
    topology.internalTopics.map((t) => t.kind),
    ['changelog'],
  );

  const bad = pipeline('by-key-bad');
  const raw = bad.from('raw', topic('raw', json<{ n: number }>()));
  raw.groupByKey().count('raw-counts');
  assert.deepEqual(
    bad.validate().map((i) => `${i.code} ${i.operator}`),
    ['INVALID_ARGUMENT groupByKey#1'],
  );
  // The DSL cannot put a keyBy before groupByKey (a KeyedStream has no groupByKey); other front ends can.
  const rekeyed = pipeline('rekeyed');
  rekeyed
    .from('keyed', topic('keyed', json<{ n: number }>(), { key: text() }))
    .keyBy((v) => v.n)
    .count('rekeyed-counts');
  const plan = rekeyed.plan();
  const groupByKey: PlanNode = { id: 2, kind: 'groupByKey', inputs: [1] };
  const nodes = plan.nodes.map((n): PlanNode => (n.kind === 'aggregate' ? { ...n, id: 3, inputs: [2] } : n));
  const edited: Plan = { ...plan, nodes: [...nodes, groupByKey].sort((a, b) => a.id - b.id) };
  assert.deepEqual(
    validatePlan(edited).map((i) => `${i.code} ${i.operator}`),
    ['NOT_PARTITIONED_BY_KEY groupByKey#2'],
  );
});
