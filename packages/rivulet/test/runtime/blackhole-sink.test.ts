import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { blackhole, createEngine, generatorSource, json, pipeline, topic } from '../../src/index.ts';

/**
 * A blackhole sink drops what reaches it: no topic is created, nothing is written, and the records
 * still flow through everything before it (the peek counts them; the topic sink beside it gets them).
 */
test('a blackhole sink drops records without creating a topic', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-blackhole-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    let peeked = 0;
    const p = pipeline('holes');
    const numbers = p.from(
      'numbers',
      generatorSource<number>({
        partitions: 1,
        size: () => 5000,
        open: () => ({
          read(from, count, out) {
            for (let i = from; i < from + count; i++) out.push(i);
          },
        }),
      }),
    );
    numbers.peek(() => void peeked++).to('nowhere', blackhole());
    numbers.filter((n) => n % 1000 === 0).to('kept', topic('holes-kept', json()));
    assert.match(p.explain(), /sink 'nowhere' -> blackhole/);
    const run = await engine.run(p, { commitIntervalMs: 10 });
    while (run.status().lag > 0 || run.status().recordsIn < 5000) await new Promise((r) => setTimeout(r, 5));
    await run.stop();
    assert.equal(peeked, 5000);
    assert.equal(engine.log.partition('holes-kept', 0).highWatermark, 5);
    assert.deepEqual(
      engine.log
        .listTopics({ internal: true })
        .filter((t) => t.includes('nowhere') || t.includes('blackhole')),
      [],
    );
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
