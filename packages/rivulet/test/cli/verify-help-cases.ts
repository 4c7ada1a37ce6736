/**
 * `rivulet log verify` on a clean and on a corrupted log, and `--help` on every command. The corruption
 * reference is independent of the log's reader: the test walks the segment file's batch framing itself
 * (u32 length at 0, i64 base offset at 11, i32 last offset delta at 19) to pick the batch it damages.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLog } from '../../src/log/index.ts';
import { type CaseRegistrar, runCli, tempDir } from './cli-harness.ts';

interface Problem {
  severity: string;
  kind: string;
  topic: string;
  partition: number;
  segment: number;
  position: number;
  fromOffset: number;
  toOffset: number;
}

interface BatchFrame {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
}

function frames(data: Buffer): BatchFrame[] {
  const result: BatchFrame[] = [];
  for (let pos = 0; pos + 4 <= data.length; ) {
    const size = data.readUInt32BE(pos) + 4;
    const baseOffset = Number(data.readBigInt64BE(pos + 11));
    result.push({ position: pos, size, baseOffset, lastOffset: baseOffset + data.readInt32BE(pos + 19) });
    pos += size;
  }
  return result;
}

/** Registers the cases with `it` (cli.test.ts runs every case file's cases concurrently). */
export function verifyHelpCases(it: CaseRegistrar): void {
  it('exits 0 on a clean log and 1 with the damaged range after a byte flip in a sealed segment', async () => {
    const dir = tempDir('verify');
    try {
      const log = await createLog({ dataDir: dir.path, segmentBytes: 4096, maintenanceInterval: false });
      try {
        await log.createTopic('events', { partitions: 1, durability: 'none' });
        const producer = log.createProducer();
        for (let i = 0; i < 60; i++) {
          const records = Array.from({ length: 5 }, (_, j) => ({
            key: `k${j}`,
            value: JSON.stringify({ i, j, pad: 'p'.repeat(40) }),
          }));
          await producer.send('events', records);
        }
      } finally {
        await log.close();
      }
      const d = ['--data-dir', dir.path];
      const clean = await runCli(['log', 'verify', ...d]);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      assert.match(
        clean.stdout,
        /^checked 2 topics, 2 partitions, \d+ segments, \d+ batches, 300 records, \d+ bytes: 0 errors, 0 notices$/m,
      );

      const partitionDir = join(dir.path, 'topics', 'events', '0');
      const segments = readdirSync(partitionDir)
        .filter((f) => f.endsWith('.log'))
        .sort();
      assert.ok(segments.length >= 3, `expected sealed segments, got ${segments.join(' ')}`);
      const firstPath = join(partitionDir, segments[0]!);
      const nextBase = Number(segments[1]!.replace('.log', ''));
      const data = readFileSync(firstPath);
      const batches = frames(data);
      assert.ok(batches.length >= 3);
      const target = batches[Math.floor(batches.length / 2)]!;
      const flipAt = target.position + target.size - 10; // inside the records of a middle batch
      data[flipAt] = data[flipAt]! ^ 0xff;
      writeFileSync(firstPath, data);

      const [text, json, read] = await Promise.all([
        runCli(['log', 'verify', ...d]),
        runCli(['log', 'verify', '--json', ...d]),
        runCli(['consume', 'events', '--from-beginning', ...d]),
      ]);
      assert.equal(json.code, 1, json.stderr);
      const report = JSON.parse(json.stdout) as { problems: Problem[]; records: number };
      const errors = report.problems.filter((p) => p.severity === 'error');
      assert.equal(errors.length, 1, json.stdout);
      const problem = errors[0]!;
      assert.equal(problem.topic, 'events');
      assert.equal(problem.partition, 0);
      assert.equal(problem.segment, 0);
      assert.equal(problem.position, target.position);
      assert.ok(problem.fromOffset <= target.baseOffset && problem.fromOffset >= 0, JSON.stringify(problem));
      assert.ok(
        problem.toOffset >= target.lastOffset && problem.toOffset <= nextBase - 1,
        JSON.stringify(problem),
      );

      assert.equal(text.code, 1, text.stderr);
      assert.ok(
        text.stdout.includes(
          `ERROR ${problem.kind} events/0 segment ${segments[0]} byte ${target.position} offsets ${problem.fromOffset}..${problem.toOffset}: `,
        ),
        text.stdout,
      );
      assert.match(text.stdout, /: 1 error, 0 notices$/m);

      assert.equal(read.code, 1);
      assert.match(read.stderr, /^error (LOG_SEGMENT_CORRUPT|PARTITION_FAILED): /);
      assert.match(read.stderr, /\nhint: list every damaged range with: rivulet log verify\n$/);
      assert.doesNotMatch(read.stderr, /\n\s+at /);
    } finally {
      dir.remove();
    }
  });

  it('--help exits 0 on every command', async () => {
    const commands = [
      [],
      ['topics'],
      ['topics', 'create'],
      ['topics', 'list'],
      ['topics', 'describe'],
      ['topics', 'delete'],
      ['produce'],
      ['consume'],
      ['log'],
      ['log', 'verify'],
      ['run'],
      ['serve'],
      ['demo'],
      ['reprocess'],
      ['diff'],
    ];
    const results = await Promise.all(commands.map((c) => runCli([...c, '--help'])));
    results.forEach((r, i) => {
      const name = ['rivulet', ...commands[i]!].join(' ');
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: ${name} `), name);
      if (commands[i]!.length > 0 && !['topics', 'log'].includes(commands[i]!.join(' '))) {
        assert.match(r.stdout, /--data-dir <dir>/, name);
      }
    });
    assert.match(results[6]!.stdout, /INVALID_JSON/);
    assert.match(results[6]!.stdout, /--all-or-nothing/);
  });
}
