import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  boundedOutOfOrder,
  createEngine,
  type Engine,
  json,
  pipeline,
  topic,
  tumbling,
} from '../../src/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * The in-memory exchange of repartition topics (local-exchange.ts) against the topics themselves: the
 * same pipeline (two repartitions in series, a windowed count fed by watermarks through a repartition,
 * a keyed sum) over the same input, stopped and restarted half way, gives the same committed outputs
 * either way, equal to plain loops; in memory the repartition topics stay empty.
 */
interface Event {
  k: string;
  v: number;
  t: number;
}

const WINDOW = 1_000;
const BOUND = 200;

function exchangePipeline() {
  const p = pipeline('exchange');
  const events = p
    .from('events', topic('events', json<Event>()))
    .eventTime((e) => e.t, boundedOutOfOrder(BOUND));
  events
    .keyBy((e) => e.k)
    .window(tumbling(WINDOW))
    .count('per-window')
    .to('windows-out', topic('windows', json()));
  events
    .keyBy((e) => e.v % 7)
    .sum('by-residue', (e) => e.v)
    .toStream()
    .keyBy((s) => (s ?? 0) % 3)
    .count('by-sum-residue')
    .toStream()
    .to('chain-out', topic('chain', json()));
  return p;
}

function generate(random: SeededRandom, count: number, from: number): Event[] {
  return Array.from({ length: count }, (_, i) => ({
    k: `k${random.int(40)}`,
    v: random.int(1000),
    // Out of order within the bound, never late.
    t: Math.max(0, (from + i) * 10 - random.int(BOUND / 2)),
  }));
}

async function drain(engine: Engine, localExchange: boolean): Promise<string[]> {
  const run = await engine.run(exchangePipeline(), { commitIntervalMs: 20, localExchange });
  const deadline = Date.now() + 60_000;
  while (run.status().lag > 0 || run.status().checkpoints < 3) {
    if (run.status().state === 'failed') throw run.status().error;
    if (Date.now() > deadline) throw new Error('the pipeline did not drain');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await run.stop();
  return run.status().state === 'failed' ? [String(run.status().error)] : [];
}

async function readTopic(engine: Engine, name: string): Promise<Array<{ key: string; value: string }>> {
  const out: Array<{ key: string; value: string }> = [];
  for (let p = 0; p < engine.log.topicConfig(name).partitions; p++) {
    const partition = engine.log.partition(name, p);
    let offset = partition.logStartOffset;
    while (offset < partition.committedOffset) {
      const fetched = await partition.fetch(offset);
      for (const r of fetched.records) out.push({ key: r.keyString() ?? '', value: r.valueString() ?? '' });
      offset = fetched.nextOffset;
    }
  }
  return out;
}

/** Runs the pipeline over `first`, stops, appends `second`, runs again; returns the outputs. */
async function twoRuns(localExchange: boolean, first: Event[], second: Event[]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-exchange-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await engine.log.createTopic('events', { partitions: 2 });
    const producer = engine.log.createProducer();
    const send = (events: Event[]) =>
      producer.send(
        'events',
        events.map((e) => ({ key: e.k, value: JSON.stringify(e) })),
      );
    await send(first);
    assert.deepEqual(await drain(engine, localExchange), []);
    await send(second);
    assert.deepEqual(await drain(engine, localExchange), []);
    const repartitionRecords = engine.log
      .listTopics()
      .filter((t) => t.endsWith('-repartition'))
      .map((t) =>
        Array.from(
          { length: engine.log.topicConfig(t).partitions },
          (_, p) => engine.log.partition(t, p).highWatermark,
        ).reduce((a, b) => a + b, 0),
      )
      .reduce((a, b) => a + b, 0);
    return {
      windows: await readTopic(engine, 'windows'),
      chain: await readTopic(engine, 'chain'),
      repartitionRecords,
    };
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('repartitions exchanged in memory give the outputs the repartition topics give, across a restart', async () => {
  const random = new SeededRandom(faultSeed('local-exchange'));
  const first = generate(random, 3_000, 0);
  const second = generate(random, 3_000, 3_000);
  const all = [...first, ...second];
  const viaTopics = await twoRuns(false, first, second);
  const inMemory = await twoRuns(true, first, second);
  assert.ok(viaTopics.repartitionRecords > 0, 'the topic run writes its repartition topics');
  assert.equal(inMemory.repartitionRecords, 0, 'the in-memory run leaves them empty');

  // Window results: each final (key, window) once, as a plain loop over the input says; the windows the
  // final watermark closed (per partition, the largest time minus the bound; the smaller one).
  const sortByText = (rows: Array<{ key: string; value: string }>) =>
    rows.map((r) => `${r.key} ${r.value}`).sort();
  assert.deepEqual(sortByText(inMemory.windows), sortByText(viaTopics.windows));
  const windows = inMemory.windows.map(
    (r) => JSON.parse(r.value) as { key: string; window: { start: number }; value: number },
  );
  const ids = windows.map((w) => `${w.key}|${w.window.start}`);
  assert.equal(new Set(ids).size, ids.length, 'no window result twice');
  const counts = new Map<string, number>();
  for (const e of all) {
    const id = `${e.k}|${e.t - (e.t % WINDOW)}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  for (const w of windows)
    assert.equal(w.value, counts.get(`${w.key}|${w.window.start}`), `${w.key}|${w.window.start}`);
  assert.ok(windows.length > 50);

  // The chain of two repartitions: per key, the same sequence of updates (order per key is kept),
  // ending at a plain loop's counts.
  const perKey = (rows: Array<{ key: string; value: string }>) => {
    const m = new Map<string, string[]>();
    for (const r of rows) m.set(r.key, [...(m.get(r.key) ?? []), r.value]);
    return new Map([...m].sort());
  };
  assert.deepEqual(perKey(inMemory.chain), perKey(viaTopics.chain));
  const sums = new Map<number, number>();
  for (const e of all) sums.set(e.v % 7, (sums.get(e.v % 7) ?? 0) + e.v);
  // Every sum update is one record of the second count: its final counts add up to the updates.
  const lastCounts = [...perKey(inMemory.chain).values()].map((values) => Number(values.at(-1)));
  assert.equal(
    lastCounts.reduce((a, b) => a + b, 0),
    all.length,
    'each input record updates one sum, and each update is counted once',
  );
  assert.ok(sums.size > 0);
});

test('a record failing after an in-memory exchange is dead-lettered with its input bytes and position', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-exchange-dlq-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await engine.log.createTopic('orders', { partitions: 2 });
    const p = pipeline('exchange-dlq');
    p.from('orders', topic('orders', json<{ id: number; sku: string }>()))
      .keyBy((o) => o.sku)
      .aggregate(
        'per-sku',
        () => 0,
        (count, o) => {
          if (o.id % 5 === 0) throw new Error(`order ${o.id} refused`);
          return count + 1;
        },
      )
      .toStream()
      .to('counts-out', topic('counts', json()));
    const orders = Array.from({ length: 40 }, (_, id) => ({ id, sku: `s${id % 4}` }));
    // Order id goes to partition id % 2, at offset floor(id / 2).
    await engine.log.createProducer().send(
      'orders',
      orders.map((o) => ({ key: String(o.id), value: JSON.stringify(o), partition: o.id % 2 })),
    );
    const run = await engine.run(p, {
      commitIntervalMs: 20,
      errors: { process: { deadLetter: 'orders-dlq' } },
    });
    const deadline = Date.now() + 30_000;
    while (run.status().lag > 0 || run.status().checkpoints < 3) {
      if (run.status().state === 'failed') throw run.status().error;
      if (Date.now() > deadline) throw new Error('the pipeline did not drain');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await run.stop();
    assert.deepEqual(
      engine.log
        .listTopics()
        .filter((t) => t.endsWith('-repartition'))
        .map((t) => engine.log.partition(t, 0).highWatermark + engine.log.partition(t, 1).highWatermark),
      [0],
      'exchanged in memory',
    );
    const dlq = (await readTopic(engine, 'orders-dlq')).map((r) => JSON.parse(r.value) as { id: number });
    assert.deepEqual(
      dlq.map((o) => o.id).sort((a, b) => a - b),
      orders.filter((o) => o.id % 5 === 0).map((o) => o.id),
    );
    // Each dead letter names the partition and offset its order was appended at.
    const partition = engine.log.partition('orders-dlq', 0);
    const fetched = await partition.fetch(0);
    assert.equal(fetched.records.length, dlq.length);
    for (const r of fetched.records) {
      const id = (JSON.parse(r.valueString()!) as { id: number }).id;
      const header = (name: string) => Buffer.from(r.headers!.get(name)!).toString();
      assert.equal(r.valueString(), JSON.stringify(orders[id]), 'the input bytes');
      assert.equal(header('rivulet.source.topic'), 'orders');
      assert.equal(header('rivulet.source.partition'), String(id % 2));
      assert.equal(header('rivulet.source.offset'), String(Math.floor(id / 2)));
    }
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
