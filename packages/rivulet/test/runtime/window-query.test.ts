import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  boundedOutOfOrder,
  createEngine,
  hopping,
  isEngineError,
  json,
  partitionForKey,
  pipeline,
  session,
  sliding,
  startServer,
  text,
  topic,
  tumbling,
} from '../../src/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * Window fetch on the real runtime: clicks of 10 users over ~200 s of event time in 2 partitions,
 * counted in tumbling (1 min), hopping (1 min every 20 s: kept as panes) and session (30 s gap) windows.
 * Once everything is checkpointed, `engine.windows(name).fetch(user)` (and the HTTP route) must give the
 * user's windows still open as of the checkpoint (end above its partition's watermark: the largest event
 * time there minus the 1 s bound), each with its count so far, as a plain loop over the clicks says.
 */
interface Click {
  ts: number;
}

const BOUND = 1_000;

test('window fetch gives each key its open windows with their counts so far (tumbling, hopping, session)', async () => {
  const random = new SeededRandom(faultSeed('window-query'));
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-windows-query-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  const server = await startServer(engine);
  try {
    await engine.log.createTopic('clicks', { partitions: 2 });
    const base = 1_700_000_000_000;
    const users = Array.from({ length: 10 }, (_, i) => `u${i}`);
    const clicks: Array<[string, Click]> = [];
    for (let i = 0; i < 400; i++)
      clicks.push([random.pick(users), { ts: base + i * 500 + random.between(0, BOUND / 2) }]);
    for (const [user, click] of clicks)
      await engine.log.append('clicks', partitionForKey(Buffer.from(user), 2), [
        {
          key: Buffer.from(user),
          value: Buffer.from(JSON.stringify(click)),
          headers: undefined,
          timestamp: 0,
        },
      ]);
    const p = pipeline('window-query');
    const timed = p
      .from('clicks', topic('clicks', json<Click>(), { key: text() }))
      .eventTime((c) => c.ts, boundedOutOfOrder(BOUND))
      .groupByKey();
    timed.window(tumbling(60_000)).count('t-count').to('t-out', topic('t-out', json()));
    timed.window(hopping(60_000, 20_000)).count('h-count').to('h-out', topic('h-out', json()));
    timed.window(session(30_000)).count('s-count').to('s-out', topic('s-out', json()));
    timed.window(sliding(60_000)).count('sl-count').to('sl-out', topic('sl-out', json()));
    const run = await engine.run(p, { commitIntervalMs: 20 });
    while (run.status().lag > 0) await new Promise((resolve) => setTimeout(resolve, 10));

    const watermark = new Map<number, number>();
    for (const [user, click] of clicks) {
      const partition = partitionForKey(Buffer.from(user), 2);
      watermark.set(partition, Math.max(watermark.get(partition) ?? 0, click.ts - BOUND));
    }
    for (const user of users) {
      const times = clicks
        .filter(([u]) => u === user)
        .map(([, c]) => c.ts)
        .sort((a, b) => a - b);
      const w = watermark.get(partitionForKey(Buffer.from(user), 2))!;
      const count = (start: number, end: number) => times.filter((t) => t >= start && t < end).length;
      const tumblingOpen = [...new Set(times.map((t) => t - (t % 60_000)))]
        .filter((s) => s + 60_000 > w)
        .map((s) => ({ window: { start: s, end: s + 60_000 }, value: count(s, s + 60_000) }));
      const hoppingOpen = [
        ...new Set(times.flatMap((t) => [0, 1, 2].map((i) => t - (t % 20_000) - i * 20_000))),
      ]
        .filter((s) => s + 60_000 > w)
        .sort((a, b) => a - b)
        .map((s) => ({ window: { start: s, end: s + 60_000 }, value: count(s, s + 60_000) }));
      const sessions: Array<{ window: { start: number; end: number }; value: number }> = [];
      for (const t of times) {
        const last = sessions.at(-1);
        if (last !== undefined && t < last.window.end) {
          last.window.end = t + 30_000;
          last.value++;
        } else sessions.push({ window: { start: t, end: t + 30_000 }, value: 1 });
      }
      const sessionOpen = sessions.filter((s) => s.window.end > w);
      assert.deepEqual(await engine.windows('t-count').fetch(user), tumblingOpen, `tumbling ${user}`);
      assert.deepEqual(await engine.windows('h-count').fetch(user), hoppingOpen, `hopping ${user}`);
      assert.deepEqual(await engine.windows('s-count').fetch(user), sessionOpen, `session ${user}`);
      const from = hoppingOpen[1]?.window.start ?? 0;
      assert.deepEqual(
        await engine.windows('h-count').fetch(user, { from, to: from + 20_000 }),
        hoppingOpen.filter((x) => x.window.start >= from && x.window.start <= from + 20_000),
      );
      const response = await fetch(`${server.address}/windows/h-count/${user}`);
      assert.deepEqual(await response.json(), { key: user, windows: hoppingOpen });
    }
    assert.ok(
      (await engine.windows('h-count').fetch('u1')).length > 0,
      'some hopping windows are still open (the test would pass vacuously otherwise)',
    );
    assert.throws(
      () => engine.windows('sl-count'),
      (e) => isEngineError(e, 'UNSUPPORTED_OPERATOR'),
    );
    assert.equal((await fetch(`${server.address}/windows/sl-count/u1`)).status, 400);
    assert.equal((await fetch(`${server.address}/windows/nothing/u1`)).status, 404);
    await run.stop();
  } finally {
    await server.close();
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
