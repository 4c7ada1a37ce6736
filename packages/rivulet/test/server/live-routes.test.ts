import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { createEngine, type Engine } from '../../src/index.ts';
import type { LiveSnapshot } from '../../src/server/index.ts';
import { registerLiveRoutes } from '../../src/server/index.ts';
import { kept, metricsPipeline } from '../runtime/fixtures/metrics-pipeline.ts';
import { clicks, withStoppedRun } from './stopped-run.ts';

/**
 * WS /api/live on a fastify app of its own with @fastify/websocket: a client without an Origin header,
 * and one whose Origin is the server's own, get a snapshot at once and another about a second later,
 * carrying the stopped run's status and operator counts and the topics' ends as the log and a plain
 * count of the input say; a page of another origin is refused with 403 before the upgrade.
 */
async function withLiveServer(engine: Engine, body: (address: string) => Promise<void>): Promise<void> {
  const app: FastifyInstance = Fastify();
  await app.register(websocket);
  registerLiveRoutes(app, engine);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const info = app.server.address();
  assert.ok(info !== null && typeof info === 'object');
  try {
    await body(`127.0.0.1:${info.port}`);
  } finally {
    await app.close();
  }
}

/** The first `count` messages of a new connection, parsed; fails after `timeoutMs`. */
function receive(url: string, count: number, headers: Record<string, string>, timeoutMs = 10_000) {
  return new Promise<LiveSnapshot[]>((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const messages: LiveSnapshot[] = [];
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`${messages.length} of ${count} messages within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (data) => {
      messages.push(JSON.parse(String(data)) as LiveSnapshot);
      if (messages.length === count) {
        clearTimeout(timer);
        socket.close();
        resolve(messages);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** The HTTP status a refused upgrade answers with; fails if the upgrade succeeds. */
function refusal(url: string, origin: string, timeoutMs = 10_000) {
  return new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(url, { origin });
    const timer = setTimeout(() => reject(new Error('no answer')), timeoutMs);
    socket.on('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => {
      clearTimeout(timer);
      socket.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    socket.on('error', () => undefined);
  });
}

test('WS /api/live sends a snapshot every second; another origin is refused', async () => {
  const input = clicks(200);
  await withStoppedRun(input, async (engine, run) => {
    await withLiveServer(engine, async (host) => {
      const url = `ws://${host}/api/live`;
      const started = Date.now();
      const [first, second] = await receive(url, 2, {});
      assert.ok(Date.now() - started >= 900, 'the second snapshot a second after the first');
      for (const snapshot of [first!, second!]) {
        assert.equal(snapshot.type, 'snapshot');
        assert.equal(snapshot.pipelines.length, 1);
        const status = snapshot.pipelines[0]!;
        assert.equal(status.name, 'metrics');
        assert.equal(status.state, 'stopped');
        assert.equal(status.lag, 0);
        assert.deepEqual(
          snapshot.operators,
          run.metrics().operators.map((o) => ({
            pipeline: 'metrics',
            operator: o.operator,
            task: o.task,
            recordsIn: o.recordsIn,
            recordsOut: o.recordsOut,
          })),
        );
        const sinkOut = snapshot.operators
          .filter((o) => o.operator === "sink 'counts-out'")
          .reduce((n, o) => n + o.recordsOut, 0);
        assert.equal(sinkOut, input.filter(kept).length);
        // The topics listTopics() lists (not the engine's `__` ones), with their ends as the log says.
        assert.deepEqual(snapshot.topics.map((t) => t.name).sort(), engine.log.listTopics());
        assert.ok(snapshot.topics.some((t) => t.name === 'counts'));
        const topic = snapshot.topics.find((t) => t.name === 'clicks')!;
        assert.deepEqual(
          topic.partitions.map((p) => p.highWatermark),
          [0, 1].map((p) => input.filter((c) => c.n % 2 === p).length),
        );
        for (const p of topic.partitions)
          assert.equal(p.sizeBytes, engine.log.partition('clicks', p.partition).sizeBytes);
      }
      assert.ok(second!.time >= first!.time + 900, `${first!.time} then ${second!.time}`);

      // The server's own origin is accepted; another is refused before the upgrade.
      const [own] = await receive(url, 1, { origin: `http://${host}` });
      assert.equal(own!.type, 'snapshot');
      assert.equal(await refusal(url, 'http://evil.example'), 403);
      assert.equal(await refusal(url, `https://${host}`), 403);
    });
  });
});

test('WS /api/live carries step and sink latency percentiles of a running pipeline', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-live-latency-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  let feeding: ReturnType<typeof setInterval> | undefined;
  try {
    await engine.log.createTopic('clicks', { partitions: 2 });
    const run = await engine.run(metricsPipeline(), { commitIntervalMs: 20 });
    let n = 0;
    // Clicks keep coming for the whole test, so every second has steps and sink writes.
    feeding = setInterval(() => {
      for (let p = 0; p < 2; p++)
        engine.log
          .append(
            'clicks',
            p,
            Array.from({ length: 20 }, () => ({
              key: null,
              value: Buffer.from(JSON.stringify({ user: `u${n % 11}`, n: n++ * 2 + p })),
              headers: undefined,
              timestamp: Date.now(),
            })),
          )
          .catch(() => undefined);
    }, 50);
    await withLiveServer(engine, async (host) => {
      const snapshots = await receive(`ws://${host}/api/live`, 4, {});
      assert.equal(run.status().state, 'running');
      for (const snapshot of snapshots) {
        assert.equal(snapshot.latency.length, 1);
        const latency = snapshot.latency[0]!;
        assert.equal(latency.pipeline, 'metrics');
        assert.deepEqual(Object.keys(latency.step).sort(), ['count', 'p50', 'p99']);
        assert.ok(Array.isArray(latency.sinks));
      }
      // After the first (whole-run) snapshot, each covers the second since the previous one: with
      // records flowing, steps and sink writes happened in it and the percentiles are bucket bounds.
      for (const snapshot of snapshots.slice(1)) {
        const { step, sinks } = snapshot.latency[0]!;
        assert.deepEqual(
          sinks.map((s) => s.operator),
          ["sink 'counts-out'"],
        );
        const sink = sinks[0]!;
        for (const [what, l, bounds] of [
          ['step', step, run.metrics().stepLatency[0]!.histogram.bounds],
          ['sink', sink, run.metrics().sinkLatency[0]!.histogram.bounds],
        ] as const) {
          assert.ok(l.count > 0, `${what} observations in the interval: ${JSON.stringify(l)}`);
          assert.ok(typeof l.p50 === 'number' && bounds.includes(l.p50), `${what} p50 ${l.p50}`);
          assert.ok(typeof l.p99 === 'number' && bounds.includes(l.p99), `${what} p99 ${l.p99}`);
          assert.ok(l.p99 >= l.p50);
        }
      }
      // Intervals, not totals: the intervals' counts add up to at most the run's total since its start
      // (cumulative counts in each snapshot would add up to far more).
      const total = run.metrics().stepLatency.reduce((a, s) => a + s.histogram.count, 0);
      const summed = snapshots.reduce((a, s) => a + s.latency[0]!.step.count, 0);
      assert.ok(summed <= total, `${summed} in four intervals, ${total} in the run`);
    });
  } finally {
    clearInterval(feeding);
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
