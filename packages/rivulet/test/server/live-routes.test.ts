import assert from 'node:assert/strict';
import { test } from 'node:test';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import type { Engine } from '../../src/index.ts';
import type { LiveSnapshot } from '../../src/server/index.ts';
import { registerLiveRoutes } from '../../src/server/index.ts';
import { kept } from '../runtime/fixtures/metrics-pipeline.ts';
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
