import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkBatch, createLog, readBatchHeader, verifyLog } from '../../src/log/index.ts';
import { isEngineError } from '../../src/model/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * (b) Bit flips and garbage in sealed segments. Every damaged batch must be detected both by
 * `verifyLog` and by reads, reported with an offset range that covers it, and never returned as data or
 * silently skipped: each offset is either read back with its exact original content or inside a reported
 * corrupt range. Damage to an index file only costs a rebuild: everything reads back intact.
 */
const TRIALS = Number(process.env.RIVULET_CORRUPTION_TRIALS ?? 150);

interface BatchSpan {
  segment: string;
  start: number;
  end: number;
  firstOffset: number;
  lastOffset: number;
}

function layout(partitionDir: string): { segments: string[]; batches: BatchSpan[] } {
  const segments = readdirSync(partitionDir)
    .filter((f) => f.endsWith('.log'))
    .sort();
  const batches: BatchSpan[] = [];
  for (const segment of segments) {
    const data = readFileSync(join(partitionDir, segment));
    let pos = 0;
    while (pos < data.length) {
      assert.equal(checkBatch(data, pos, data.length, 1 << 24), 'ok');
      const header = readBatchHeader(data, pos);
      batches.push({
        segment,
        start: pos,
        end: pos + header.size,
        firstOffset: header.baseOffset,
        lastOffset: header.baseOffset + header.lastOffsetDelta,
      });
      pos += header.size;
    }
  }
  return { segments, batches };
}

test(`${TRIALS} bit flips and garbage writes in sealed segments are all detected with their offset ranges`, async () => {
  const random = new SeededRandom(faultSeed('sealed-corruption'));
  const root = mkdtempSync(join(tmpdir(), 'rivulet-corrupt-'));
  const template = join(root, 'template');
  try {
    const log = await createLog({
      dataDir: template,
      maintenanceInterval: false,
      segmentBytes: 3000,
      indexIntervalBytes: 400,
    });
    await log.createTopic('t');
    const producer = log.createProducer();
    const reference: string[] = [];
    for (let b = 0; b < 80; b++) {
      const values = Array.from(
        { length: random.between(1, 6) },
        () => `v${reference.length}-${'y'.repeat(random.between(0, 80))}`,
      );
      for (const value of values) reference.push(value);
      await producer.send(
        't',
        values.map((value) => ({ value })),
      );
    }
    await log.close();
    const partitionDir = join('topics', 't', '0');
    const { segments, batches } = layout(join(template, partitionDir));
    const sealed = segments.slice(0, -1);
    assert.ok(sealed.length >= 3, `need sealed segments, got ${sealed.length}`);

    let detected = 0;
    let indexTrials = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const work = join(root, `trial-${trial}`);
      cpSync(template, work, { recursive: true });
      const segment = random.pick(sealed);
      const damageIndex = random.next() < 0.1;
      const file = join(work, partitionDir, damageIndex ? segment.replace('.log', '.index') : segment);
      const bytes = readFileSync(file);
      const original = Buffer.from(bytes);
      const position = random.between(0, bytes.length - 1);
      let length = 1;
      if (random.next() < 0.5) bytes[position]! ^= 1 << random.between(0, 7);
      else {
        length = Math.min(random.between(1, 64), bytes.length - position);
        for (let i = 0; i < length; i++) bytes[position + i] = random.between(0, 255);
      }
      writeFileSync(file, bytes);
      const changed: number[] = [];
      for (let i = position; i < position + length; i++) if (bytes[i] !== original[i]) changed.push(i);
      if (changed.length === 0) {
        rmSync(work, { recursive: true, force: true });
        continue;
      }
      const damaged = damageIndex
        ? []
        : batches.filter((b) => b.segment === segment && changed.some((i) => i >= b.start && i < b.end));

      const report = verifyLog(work);
      const errorRanges = report.problems
        .filter((p) => p.severity === 'error')
        .map((p) => [p.fromOffset, p.toOffset] as const);
      const reopened = await createLog({ dataDir: work, maintenanceInterval: false });
      const readRanges: Array<readonly [number, number]> = [];
      const seen = new Set<number>();
      try {
        let offset = 0;
        const end = reopened.partition('t', 0).highWatermark;
        assert.equal(end, reference.length);
        while (offset < end) {
          try {
            const fetched = await reopened.fetch('t', 0, offset, 1024);
            for (const record of fetched.records) {
              assert.equal(
                record.valueString(),
                reference[record.offset],
                `trial ${trial}: wrong content at offset ${record.offset}`,
              );
              seen.add(record.offset);
            }
            offset = fetched.nextOffset;
          } catch (error) {
            assert.ok(
              isEngineError(error, 'LOG_SEGMENT_CORRUPT'),
              `trial ${trial}: unexpected ${String(error)}`,
            );
            const { fromOffset, toOffset } = error.details as { fromOffset: number; toOffset: number };
            assert.ok(
              toOffset >= offset,
              `trial ${trial}: the reported range ${fromOffset}..${toOffset} is behind the read position ${offset}`,
            );
            readRanges.push([fromOffset, toOffset]);
            offset = toOffset + 1;
          }
        }
      } finally {
        await reopened.close();
      }
      const covered = (ranges: ReadonlyArray<readonly [number, number]>, o: number) =>
        ranges.some(([a, b]) => o >= a && o <= b);
      for (const batch of damaged) {
        for (let o = batch.firstOffset; o <= batch.lastOffset; o++) {
          assert.ok(!seen.has(o), `trial ${trial}: offset ${o} of a damaged batch was returned`);
          assert.ok(covered(readRanges, o), `trial ${trial}: reads skipped damaged offset ${o} silently`);
          assert.ok(covered(errorRanges, o), `trial ${trial}: verify missed damaged offset ${o}`);
        }
      }
      for (let o = 0; o < reference.length; o++) {
        assert.ok(
          seen.has(o) || covered(readRanges, o),
          `trial ${trial}: offset ${o} neither read nor reported (read ranges ${JSON.stringify(readRanges)}, damaged ${JSON.stringify(damaged)}, index ${damageIndex}, segment ${segment}, at ${position})`,
        );
      }
      if (damageIndex) {
        indexTrials++;
        assert.equal(seen.size, reference.length, `trial ${trial}: index damage must only cost a rebuild`);
      } else if (damaged.length > 0) detected++;
      rmSync(work, { recursive: true, force: true });
    }
    console.log(
      `[sealed-corruption] ${detected} damaged-segment trials detected by reads and verify, ${indexTrials} damaged-index trials rebuilt, 0 silent`,
    );
    assert.ok(detected > TRIALS / 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
