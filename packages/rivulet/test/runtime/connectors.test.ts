import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  type ConnectorRecord,
  createEngine,
  type Engine,
  EngineError,
  isEngineError,
  json,
  pipeline,
} from '../../src/index.ts';
import {
  type MemorySink,
  type MemorySource,
  memorySink,
  memorySource,
  waitUntil,
} from '../../src/testing/index.ts';

/**
 * Source and sink connectors driven by the runtime (source-ingest.ts, sink-delivery.ts) with the
 * in-memory connectors of rivulet/testing: records read from each split reach the sink exactly once and
 * in order per split; a source is acknowledged only up to checkpointed positions; a run that fails
 * mid-stream (a connector's non-retryable error, so no final checkpoint) and is started again leaves
 * the sink equal to the reference, with keyed state counted exactly once; retryable failures reopen the
 * connector; refused records go to the dead-letter topic. The reference is a plain loop over the input.
 */

interface Item {
  split: string;
  n: number;
  key: string;
}

function items(split: string, from: number, count: number): ConnectorRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const item: Item = { split, n, key: `k${n % 5}` };
    return { key: null, value: Buffer.from(JSON.stringify(item)), timestamp: 1_000 + n, headers: undefined };
  });
}

async function withEngine(body: (engine: Engine) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-connectors-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await body(engine);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Waits (polling, with a deadline) until `condition` holds. */
function copyPipeline(source: MemorySource, sink: MemorySink) {
  const p = pipeline('copy');
  p.from('in', source, json<Item>())
    .map((item) => ({ ...item, doubled: item.n * 2 }))
    .to('out', sink, json());
  return p;
}

function delivered(sink: MemorySink): Array<Item & { doubled: number }> {
  return sink.records.map((r) => JSON.parse(Buffer.from(r.value!).toString()) as Item & { doubled: number });
}

/** Every input item exactly once, each split in order. */
function assertExactlyOnce(sink: MemorySink, counts: Record<string, number>): void {
  const got = delivered(sink);
  const ids = sink.records.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'a record was delivered twice');
  for (const [split, count] of Object.entries(counts)) {
    const ns = got.filter((i) => i.split === split).map((i) => i.n);
    assert.deepEqual(
      [...ns].sort((x, y) => x - y),
      Array.from({ length: count }, (_, n) => n),
      `split ${split}: every record once`,
    );
    // Unkeyed records spread over the outbox partitions; each partition keeps the split's order.
    for (const partition of new Set(sink.records.map((r) => r.partition))) {
      const inPartition = got.filter((i, j) => i.split === split && sink.records[j]!.partition === partition);
      const order = inPartition.map((i) => i.n);
      assert.deepEqual(
        order,
        [...order].sort((x, y) => x - y),
        `split ${split} in order in partition ${partition}`,
      );
    }
  }
  for (const item of got) assert.equal(item.doubled, item.n * 2);
  assert.equal(
    got.length,
    Object.values(counts).reduce((a, b) => a + b, 0),
  );
}

test('source and sink connectors: exactly once across a stop and a restart; sources acknowledged at checkpoints', async () => {
  await withEngine(async (engine) => {
    const source = memorySource(['a', 'b']);
    const sink = memorySink();
    source.append('a', items('a', 0, 300));
    source.append('b', items('b', 0, 200));
    const first = await engine.run(copyPipeline(source, sink), { commitIntervalMs: 20 });
    await waitUntil(() => sink.records.length === 500, '500 records');
    await first.stop();
    assertExactlyOnce(sink, { a: 300, b: 200 });
    assert.deepEqual(
      Object.fromEntries(source.committed),
      { a: '300', b: '200' },
      'the final checkpoint is acknowledged',
    );
    assert.ok(
      engine.log.hasTopic('copy-in-ingest') && engine.log.topicConfig('copy-in-ingest').partitions === 2,
    );

    source.append('a', items('a', 300, 100));
    source.append('b', items('b', 200, 50));
    const second = await engine.run(copyPipeline(source, sink), { commitIntervalMs: 20 });
    await waitUntil(() => sink.records.length === 650, '650 records');
    await waitUntil(() => second.status().connectors?.sinks.out?.lag === 0, 'delivery caught up');
    assert.deepEqual(second.status().connectors, {
      sources: { in: { recordsIn: 150 } },
      sinks: { out: { delivered: 150, lag: 0 } },
    });
    assert.deepEqual(second.metrics().sources, [{ source: 'in', recordsIn: 150 }]);
    assert.deepEqual(second.metrics().sinks, [{ sink: 'out', delivered: 150, lag: 0 }]);
    await second.stop();
    assertExactlyOnce(sink, { a: 400, b: 250 });
  });
});

test('a run failed by a connector and started again: the sink equals the reference, counts are exact', async () => {
  await withEngine(async (engine) => {
    const source = memorySource(['a', 'b', 'c']);
    const sink = memorySink();
    const counted = () => {
      const p = pipeline('counts');
      p.from('in', source, json<Item>())
        .keyBy((item) => item.key)
        .count('per-key')
        .toStream()
        .to('out', sink, json());
      return p;
    };
    const total = { a: 0, b: 0, c: 0 } as Record<string, number>;
    const feed = (count: number) => {
      for (const split of ['a', 'b', 'c']) {
        source.append(split, items(split, total[split]!, count));
        total[split]! += count;
      }
    };
    for (let round = 0; round < 4; round++) {
      feed(150);
      const run = await engine.run(counted(), { commitIntervalMs: 15 });
      await waitUntil(() => source.committed.size === 3, 'a checkpoint acknowledged');
      feed(100);
      // A non-retryable failure in the middle of the stream: no final checkpoint.
      if (round % 2 === 0)
        source.failNextPoll('b', new EngineError('CONNECTOR_FAILED', 'boom', { retryable: false }));
      else sink.failNextCommit(new EngineError('CONNECTOR_FAILED', 'boom', { retryable: false }));
      await assert.rejects(run.done, (e) => isEngineError(e, 'CONNECTOR_FAILED'));
    }
    const last = await engine.run(counted(), { commitIntervalMs: 15 });
    const expected = new Map<string, number>();
    for (const count of Object.values(total))
      for (let n = 0; n < count; n++) {
        const key = `k${n % 5}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
    const latest = () => {
      const m = new Map<string, number>();
      for (const r of sink.records)
        m.set(Buffer.from(r.key!).toString(), JSON.parse(Buffer.from(r.value!).toString()));
      return m;
    };
    const sum = [...expected.values()].reduce((a, b) => a + b, 0);
    await waitUntil(() => [...latest().values()].reduce((a, b) => a + b, 0) === sum, 'every record counted');
    await last.stop();
    const keys = [...latest().keys()].map((k) => JSON.parse(k) as string).sort();
    assert.deepEqual(keys, [...expected.keys()].sort());
    for (const [key, value] of latest())
      assert.equal(value, expected.get(JSON.parse(key)), `count of ${key}`);
    const ids = sink.records.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'no record delivered twice');
  });
});

test('retryable connector failures reopen the connector: nothing lost, nothing twice', async () => {
  await withEngine(async (engine) => {
    const source = memorySource(['a']);
    const sink = memorySink();
    source.append('a', items('a', 0, 100));
    const run = await engine.run(copyPipeline(source, sink), { commitIntervalMs: 20 });
    await waitUntil(() => sink.records.length === 100, '100 records');
    const opened = source.opened;
    source.failNextPoll('a', new EngineError('CONNECTOR_UNAVAILABLE', 'connection reset'));
    sink.failNextCommit(new EngineError('CONNECTOR_UNAVAILABLE', 'connection reset'));
    source.append('a', items('a', 100, 100));
    await waitUntil(() => sink.records.length === 200, '200 records');
    assert.ok(source.opened > opened, 'the source was reopened');
    await run.stop();
    assertExactlyOnce(sink, { a: 200 });
  });
});

test('records too large for the ingest topic and records a sink refuses go to the dead-letter topic', async () => {
  await withEngine(async (engine) => {
    await engine.log.createTopic('copy-in-ingest', { partitions: 1, maxRecordBytes: 512 });
    const source = memorySource(['a']);
    const sink = memorySink();
    const batch = items('a', 0, 20);
    const big = {
      ...batch[7]!,
      value: Buffer.from(JSON.stringify({ split: 'a', n: 7, key: 'x', pad: 'p'.repeat(2000) })),
      headers: new Map([['rivulet.source.split', Buffer.from('a')]]),
    };
    batch[7] = big;
    source.append('a', batch);
    sink.refuse((r) => (JSON.parse(Buffer.from(r.value!).toString()) as Item).n === 11);
    const run = await engine.run(copyPipeline(source, sink), {
      commitIntervalMs: 20,
      errors: { deserialize: { deadLetter: 'dlq' }, produce: { deadLetter: 'dlq' } },
    });
    await waitUntil(() => sink.records.length === 18, '18 records');
    await waitUntil(
      () => run.status().errors.produce?.deadLettered === 1,
      'the refused record dead-lettered',
    );
    await run.stop();
    assert.deepEqual(
      delivered(sink).map((i) => i.n),
      Array.from({ length: 20 }, (_, n) => n).filter((n) => n !== 7 && n !== 11),
    );
    const dlq = await engine.log.fetch('dlq', 0, 0);
    const letters = dlq.records.map((r) => ({
      n: (JSON.parse(r.valueString()!) as Item).n,
      code: Buffer.from(r.headers!.get('rivulet.error.code')!).toString(),
      boundary: Buffer.from(r.headers!.get('rivulet.boundary')!).toString(),
      operator: Buffer.from(r.headers!.get('rivulet.operator')!).toString(),
    }));
    assert.deepEqual(letters, [
      { n: 7, code: 'RECORD_TOO_LARGE', boundary: 'deserialize', operator: 'in' },
      { n: 11, code: 'INVALID_RECORD', boundary: 'produce', operator: 'out' },
    ]);
    assert.deepEqual(run.status().errors.deserialize, { skipped: 0, deadLettered: 1 });
    // The connector's provenance header is kept; the reserved ones name the record's place in the log.
    const first = dlq.records[0]!.headers!;
    assert.equal(Buffer.from(first.get('rivulet.source.split')!).toString(), 'a');
    assert.equal(Buffer.from(first.get('rivulet.source.topic')!).toString(), 'copy-in-ingest');
  });
});

test('worker threads: tasks read ingest topics and write the outbox; connectors stay in this thread', async () => {
  await withEngine(async (engine) => {
    const module = join(import.meta.dirname, 'fixtures', 'connector-pipeline.ts');
    const fixture = (await import(module)) as typeof import('./fixtures/connector-pipeline.ts');
    const expected = new Map<string, number>();
    for (const split of ['a', 'b', 'c']) {
      fixture.source.append(split, items(split, 0, 400));
      for (let n = 0; n < 400; n++) expected.set(`k${n % 5}`, (expected.get(`k${n % 5}`) ?? 0) + 1);
    }
    const run = await engine.run(fixture.default, { parallelism: 2, module, commitIntervalMs: 20 });
    const latest = () => {
      const m = new Map<string, number>();
      for (const r of fixture.sink.records)
        m.set(
          JSON.parse(Buffer.from(r.key!).toString()) as string,
          JSON.parse(Buffer.from(r.value!).toString()),
        );
      return m;
    };
    await waitUntil(() => [...latest().values()].reduce((a, b) => a + b, 0) === 1200, 'every record counted');
    assert.equal(run.status().workers, 2);
    await run.stop();
    assert.deepEqual(latest(), expected);
  });
});
