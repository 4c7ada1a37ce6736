import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLog, type Log } from '../../src/log/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * (a) Torn tail: the active segment is cut at random byte positions (a crash mid-write). On reopen exactly
 * the batches that end at or before the cut survive (the longest valid prefix), and the next append gets
 * the next dense offset. Reference: the byte size of the segment after each acknowledged append.
 */
const CUTS = Number(process.env.RIVULET_TORN_CUTS ?? 240);

interface AppendedBatch {
  /** Segment size after this batch was acknowledged: where it ends in the file. */
  end: number;
  values: string[];
}

async function readValues(log: Log): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  let offset = 0;
  const partition = log.partition('t', 0);
  while (offset < partition.highWatermark) {
    const fetched = await log.fetch('t', 0, offset);
    for (const record of fetched.records) out.push([record.offset, record.valueString()!]);
    offset = fetched.nextOffset;
  }
  return out;
}

test(`torn tail: ${CUTS} random cuts of the active segment keep exactly the longest valid prefix`, async () => {
  const random = new SeededRandom(faultSeed('torn-tail'));
  const root = mkdtempSync(join(tmpdir(), 'rivulet-torn-'));
  const template = join(root, 'template');
  try {
    const log = await createLog({ dataDir: template, maintenanceInterval: false });
    await log.createTopic('t', { compression: random.next() < 0.3 ? 'gzip' : 'none' });
    const producer = log.createProducer();
    const batches: AppendedBatch[] = [];
    let n = 0;
    for (let b = 0; b < 60; b++) {
      const values = Array.from(
        { length: random.between(1, 12) },
        () => `record-${n++}-${'x'.repeat(random.between(0, 150))}`,
      );
      await producer.send(
        't',
        values.map((value) => ({ value, key: random.next() < 0.5 ? `k${n}` : null })),
      );
      batches.push({ end: log.partition('t', 0).activeSegment.size, values });
    }
    await log.close();
    const segmentFile = readdirSync(join(template, 'topics', 't', '0')).find((f) => f.endsWith('.log'))!;
    const fullSize = statSync(join(template, 'topics', 't', '0', segmentFile)).size;
    assert.equal(fullSize, batches.at(-1)!.end);

    let survivorsTotal = 0;
    for (let i = 0; i < CUTS; i++) {
      // Mostly arbitrary bytes; sometimes exactly on or next to a batch boundary.
      const boundary = random.pick(batches).end;
      const cut =
        random.next() < 0.2 ? Math.max(0, boundary + random.between(-1, 1)) : random.between(0, fullSize);
      const work = join(root, `cut-${i}`);
      cpSync(template, work, { recursive: true });
      truncateSync(join(work, 'topics', 't', '0', segmentFile), Math.min(cut, fullSize));
      const survivors = batches.filter((b) => b.end <= cut).flatMap((b) => b.values);
      const reopened = await createLog({ dataDir: work, maintenanceInterval: false });
      try {
        const values = await readValues(reopened);
        assert.deepEqual(
          values,
          survivors.map((v, offset) => [offset, v]),
          `cut at byte ${cut} of ${fullSize}`,
        );
        const [next] = await reopened.createProducer().send('t', [{ value: 'after-crash' }]);
        assert.equal(next!.baseOffset, survivors.length, `offsets must continue after the cut at ${cut}`);
        survivorsTotal += survivors.length;
      } finally {
        await reopened.close();
        rmSync(work, { recursive: true, force: true });
      }
    }
    console.log(
      `[torn-tail] ${CUTS} cuts over ${fullSize} bytes, ${batches.length} batches: every reopen kept exactly the valid prefix (${survivorsTotal} records checked)`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
