import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEngine, type Engine, type RunMetrics, type RunOptions } from '../../src/index.ts';
import { type Click, kept, metricsPipeline } from './fixtures/metrics-pipeline.ts';

/**
 * The runtime's counters against a plain loop over the input: N clicks over 2 partitions through
 * filter -> keyBy (repartition) -> count -> toStream -> sink. Per operator kind and per task, records in
 * and out equal what the loop says each step sees; the sink's latency histogram holds one observation per
 * record written, all past the age the records were given; consumer lag ends at 0 with the positions at
 * the partitions' ends; store entries are the distinct users; checkpoint durations are counted once per
 * checkpoint. In this thread and over 2 worker threads.
 */
const N = 600;
const PARTITIONS = 2;
/** How old the records are when written: every sink latency is above this. */
const AGE_MS = 60_000;

const modes: Array<{ name: string; options: RunOptions }> = [
  { name: 'in-thread', options: {} },
  {
    name: '2 worker threads',
    options: { parallelism: 2, module: join(import.meta.dirname, 'fixtures', 'metrics-pipeline.ts') },
  },
];

function clicks(): Click[] {
  return Array.from({ length: N }, (_, i) => ({ user: `u${(i * 7) % 23}`, n: i }));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function runToEnd(engine: Engine, options: RunOptions): Promise<RunMetrics> {
  const input = clicks();
  const timestamp = Date.now() - AGE_MS;
  for (let p = 0; p < PARTITIONS; p++)
    await engine.log.append(
      'clicks',
      p,
      input
        .filter((c) => c.n % PARTITIONS === p)
        .map((c) => ({ key: null, value: Buffer.from(JSON.stringify(c)), headers: undefined, timestamp })),
    );
  const run = await engine.run(metricsPipeline(), { ...options, commitIntervalMs: 20 });
  await waitFor(() => run.status().lag === 0 && run.status().recordsIn > 0, 'the input to be read');
  await run.stop();
  return run.metrics();
}

for (const mode of modes) {
  test(`operator counters equal a plain count of what each operator sees (${mode.name})`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-run-metrics-'));
    const engine = await createEngine({ dataDir, maintenanceInterval: false });
    try {
      await engine.log.createTopic('clicks', { partitions: PARTITIONS });
      const metrics = await runToEnd(engine, mode.options);
      const plan = metricsPipeline().plan();
      const input = clicks();

      // The reference: per partition, what enters and what passes the filter.
      const inPartition = (p: number) => input.filter((c) => c.n % PARTITIONS === p);
      const passing = (p: number) => inPartition(p).filter(kept).length;
      const total = input.length;
      const passed = input.filter(kept).length;
      assert.ok(passed > 0 && passed < total);

      // Per kind (the repartition writer has no node): summed over tasks.
      const expected = new Map<string, [number, number]>([
        ['source', [total, total]],
        ['filter', [total, passed]],
        ['keyBy', [passed, passed]],
        ['repartition', [passed, passed]],
        ['aggregate', [passed, passed]],
        ['toStream', [passed, passed]],
        ['sink', [passed, passed]],
      ]);
      const actual = new Map<string, [number, number]>();
      for (const o of metrics.operators) {
        const kind = o.nodeId === null ? 'repartition' : plan.nodes[o.nodeId]!.kind;
        const sum = actual.get(kind) ?? [0, 0];
        actual.set(kind, [sum[0] + o.recordsIn, sum[1] + o.recordsOut]);
      }
      assert.deepEqual(actual, expected);

      // Per task: the first sub-topology's task on partition p sees partition p's records.
      for (let p = 0; p < PARTITIONS; p++) {
        const source = metrics.operators.find(
          (o) => o.nodeId !== null && plan.nodes[o.nodeId]!.kind === 'source' && o.task.endsWith(`:${p}`),
        );
        const filter = metrics.operators.find(
          (o) => o.nodeId !== null && plan.nodes[o.nodeId]!.kind === 'filter' && o.task.endsWith(`:${p}`),
        );
        assert.equal(source?.recordsIn, inPartition(p).length, `source in, partition ${p}`);
        assert.equal(filter?.recordsOut, passing(p), `filter out, partition ${p}`);
        assert.equal(source.task, filter!.task);
      }
      assert.equal(new Set(metrics.operators.map((o) => o.task)).size, 2 * PARTITIONS, 'two sub-topologies');
      assert.equal(metrics.recordsIn, total + passed, 'inputs: clicks and the repartition topic');

      // One sink latency observation per record written, all older than AGE_MS.
      const sinkCounts = metrics.sinkLatency.map((l) => l.histogram);
      assert.equal(
        sinkCounts.reduce((n, h) => n + h.count, 0),
        passed,
      );
      for (const h of sinkCounts) {
        assert.equal(
          h.counts.reduce((a, b) => a + b, 0),
          h.count,
        );
        h.bounds.forEach((bound, i) => {
          if (bound < AGE_MS) assert.equal(h.counts[i], 0, `no latency under ${bound} ms`);
        });
        assert.ok(h.sum >= h.count * AGE_MS);
      }

      // Every task stepped at least once; each histogram's buckets add up to its count.
      assert.equal(metrics.stepLatency.length, 2 * PARTITIONS);
      for (const { histogram } of metrics.stepLatency) {
        assert.ok(histogram.count > 0);
        assert.equal(
          histogram.counts.reduce((a, b) => a + b, 0),
          histogram.count,
        );
      }
      assert.equal(metrics.checkpointDuration.count, metrics.checkpoints);

      // Lag: every input partition read to its end.
      for (const l of metrics.consumerLag) {
        assert.equal(l.lag, 0, `${l.topic}/${l.partition}`);
        assert.equal(l.position, engine.log.partition(l.topic, l.partition).highWatermark);
      }
      assert.deepEqual(
        metrics.consumerLag
          .filter((l) => l.topic === 'clicks')
          .sort((a, b) => a.partition - b.partition)
          .map((l) => l.position),
        [0, 1].map((p) => inPartition(p).length),
      );
      assert.deepEqual(metrics.storeEntries, [
        { store: 'clicks-per-user', entries: new Set(input.filter(kept).map((c) => c.user)).size },
      ]);
      assert.equal(metrics.state, 'stopped');
    } finally {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
