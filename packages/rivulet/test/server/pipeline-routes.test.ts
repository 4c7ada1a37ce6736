import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundedOutOfOrder, json, pipeline, topic, tumbling } from '../../src/index.ts';
import { ADMIN, until, withServer } from './server-harness.ts';

/**
 * The pipeline routes on real runs started with the DSL: the list and one pipeline's status, graph (one
 * node per DSL operator, counted here by hand) and explain text; stop through the API; the dead-letter
 * topic of a `{ process: { deadLetter } }` policy with as many records as inputs that throw (counted by
 * a plain loop over the inputs); the late and alert sink topics found in the plans.
 */

interface Order {
  id: number;
  amount: number;
}

function ordersPipeline() {
  const p = pipeline('orders');
  p.from('orders-in', topic('orders', json<Order>()))
    .filter((o) => o.amount >= 0)
    .map((o) => {
      if (o.id % 4 === 0) throw new Error(`order ${o.id} is cursed`);
      return { id: o.id, cents: o.amount * 100 };
    })
    .to('orders-out', topic('orders-cents', json()));
  return p; // 4 nodes: source, filter, map, sink; 3 edges
}

interface Reading {
  k: string;
  v: number;
  ts: number;
}

function sensorsPipeline() {
  const p = pipeline('sensors');
  const keyed = p
    .from('readings', topic('readings', json<Reading>()))
    .eventTime((r) => r.ts, boundedOutOfOrder(0))
    .keyBy((r) => r.k);
  const windowed = keyed.window(tumbling('1m')).count('per-minute');
  windowed.to('counts', topic('minute-counts', json()));
  windowed.late.map((r) => r).to('late-out', topic('late-readings', json()));
  keyed.crosses('hot', 30, (r) => r.v).to('hot-out', topic('hot-alerts', json()));
  keyed.silence('quiet', '5m').to('quiet-out', topic('quiet-alerts', json()));
  // A user processor shaped like crosses (one store '<name>-side', no timers) is not an alert.
  keyed
    .process('lookalike', { process: (r) => [r.v] }, { stores: [{ name: 'lookalike-side' }] })
    .to('lookalike-out', topic('lookalike', json()));
  return p;
}

test('pipelines: list, graph, explain, stop; dead-letter, late and alert topics', async () => {
  await withServer({}, async (ctx) => {
    const { engine } = ctx;
    await engine.log.createTopic('orders', { partitions: 2 });
    await engine.log.createTopic('readings');
    const orders = Array.from({ length: 50 }, (_, i) => ({ id: i, amount: i % 7 === 0 ? -1 : i }));
    const cursed = orders.filter((o) => o.amount >= 0 && o.id % 4 === 0).length;
    const produced = await ctx.call('POST', '/api/topics/orders/records', {
      token: ADMIN,
      body: { records: orders.map((o) => ({ key: String(o.id), value: o })) },
    });
    assert.equal(produced.status, 200);
    await engine.run(ordersPipeline(), {
      errors: { process: { deadLetter: 'orders-dlq' } },
      commitIntervalMs: 20,
    });
    await engine.run(sensorsPipeline(), { commitIntervalMs: 20 });

    const list = await ctx.call('GET', '/api/pipelines');
    assert.deepEqual(
      list.body.pipelines.map((s: { name: string; state: string }) => [s.name, s.state]),
      [
        ['orders', 'running'],
        ['sensors', 'running'],
      ],
    );
    for (const field of [
      'recordsIn',
      'lag',
      'checkpoints',
      'workers',
      'errors',
      'late',
      'storeEntries',
      'watermarks',
    ])
      assert.ok(field in list.body.pipelines[0], field);

    const one = await ctx.call('GET', '/api/pipelines/orders');
    assert.equal(one.status, 200);
    assert.equal(one.body.name, 'orders');
    assert.equal(one.body.graph.nodes.length, 4);
    assert.deepEqual(
      one.body.graph.nodes.map((n: { kind: string }) => n.kind),
      ['source', 'filter', 'map', 'sink'],
    );
    assert.deepEqual(one.body.graph.edges, [
      { from: 0, to: 1 },
      { from: 1, to: 2 },
      { from: 2, to: 3 },
    ]);
    assert.deepEqual(one.body.graph.subTopologies, [
      { id: 0, nodeIds: [0, 1, 2, 3], inputs: ['orders'], stores: [] },
    ]);
    assert.equal(typeof one.body.explain, 'string');
    assert.match(one.body.explain, /orders-cents/);
    assert.deepEqual((await ctx.call('GET', '/api/pipelines/none')).body.code, 'UNKNOWN_PIPELINE');

    // Every cursed order lands in the dead-letter topic once the run has checkpointed all inputs.
    await until(
      async () => {
        const dlq = await ctx.call('GET', '/api/dlq');
        return dlq.body.topics[0]?.records === cursed;
      },
      15_000,
      'dead letters',
    );
    assert.deepEqual((await ctx.call('GET', '/api/dlq')).body, {
      topics: [{ topic: 'orders-dlq', pipeline: 'orders', records: cursed }],
    });
    assert.deepEqual((await ctx.call('GET', '/api/late')).body, {
      topics: [{ topic: 'late-readings', pipeline: 'sensors', operator: 'per-minute', records: 0 }],
    });
    assert.deepEqual(
      (await ctx.call('GET', '/api/alerts')).body.topics.sort((a: { topic: string }, b: { topic: string }) =>
        a.topic.localeCompare(b.topic),
      ),
      [
        { topic: 'hot-alerts', pipeline: 'sensors', operator: 'hot' },
        { topic: 'quiet-alerts', pipeline: 'sensors', operator: 'quiet' },
      ],
    );
    const sensors = await ctx.call('GET', '/api/pipelines/sensors');
    assert.ok(sensors.body.graph.subTopologies.length >= 2, 'keyBy splits the sensors pipeline');
    assert.equal(sensors.body.graph.nodes.length, engine.runs()[1]!.plan.nodes.length);

    const stopped = await ctx.call('POST', '/api/pipelines/orders/stop', { token: ADMIN });
    assert.deepEqual([stopped.status, stopped.body], [200, { state: 'stopped' }]);
    assert.equal(engine.runs()[0]!.status().state, 'stopped');
    const after = await ctx.call('GET', '/api/pipelines');
    assert.deepEqual(
      after.body.pipelines.map((s: { name: string; state: string }) => [s.name, s.state]),
      [
        ['orders', 'stopped'],
        ['sensors', 'running'],
      ],
    );
    // A stopped run keeps its dead-letter topic listed.
    assert.equal((await ctx.call('GET', '/api/dlq')).body.topics[0].records, cursed);
    assert.equal((await ctx.call('POST', '/api/pipelines/none/stop', { token: ADMIN })).status, 404);

    // Start it again: a new run of the same plan and options, resuming from its last checkpoint.
    const running = await ctx.call('POST', '/api/pipelines/sensors/start', { token: ADMIN });
    assert.deepEqual([running.status, running.body.code], [409, 'PIPELINE_RUNNING']);
    const started = await ctx.call('POST', '/api/pipelines/orders/start', { token: ADMIN });
    assert.deepEqual([started.status, started.body], [200, { state: 'running' }]);
    assert.equal(engine.runs().length, 3);
    assert.equal(engine.runs()[2]!.plan, engine.runs()[0]!.plan);
    assert.deepEqual(engine.runOptions(engine.runs()[2]!), engine.runOptions(engine.runs()[0]!));
    assert.equal((await ctx.call('POST', '/api/pipelines/none/start', { token: ADMIN })).status, 404);
    await ctx.call('POST', '/api/pipelines/orders/stop', { token: ADMIN });
  });
});
