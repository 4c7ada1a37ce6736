import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCrashChild } from 'rivulet/testing';
import { fileSinkFileName } from '../src/index.ts';
import { readSinkLines } from './file-sink-harness.ts';

const CHILD = fileURLToPath(new URL('./file-sink-crash-child.ts', import.meta.url));
const TOTAL = 30_000;
const KILLS = 12;

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Runs the child; SIGKILLs it `delayMs` after its `killAfter`-th commit line, or lets it kill itself at `crashAtStep`. */
function runChild(dir: string, killAfter: number | undefined, delayMs: number, crashAtStep = 0) {
  return runCrashChild(CHILD, [dir, String(TOTAL)], { killAfterCommits: killAfter, delayMs, crashAtStep });
}

/** The committed view as the manifest defines it: files before the current one whole, the current one up to `size`. */
async function committedSeqs(dir: string): Promise<{ seqs: number[]; uncommittedTail: boolean }> {
  let manifest: { file: number; size: number };
  try {
    manifest = JSON.parse(await readFile(join(dir, 'out.manifest.json'), 'utf8'));
  } catch {
    return { seqs: [], uncommittedTail: false };
  }
  const seqs: number[] = [];
  let uncommittedTail = false;
  for (let n = 0; n <= manifest.file; n++) {
    let bytes = await readFile(join(dir, fileSinkFileName('out', n))).catch(() => Buffer.alloc(0));
    if (n === manifest.file) {
      uncommittedTail = bytes.length > manifest.size;
      bytes = bytes.subarray(0, manifest.size);
    }
    const text = bytes.toString('utf8');
    assert.ok(text === '' || text.endsWith('\n'), `file ${n}: the committed part ends with a whole line`);
    for (const line of text.split('\n'))
      if (line !== '') seqs.push((JSON.parse(line) as { seq: number }).seq);
  }
  return { seqs, uncommittedTail };
}

function assertOrderedUnique(seqs: readonly number[], what: string): void {
  const seen = new Set<number>();
  const last = [-1, -1];
  for (const seq of seqs) {
    assert.ok(!seen.has(seq), `${what}: seq ${seq} is stored twice`);
    seen.add(seq);
    assert.ok(seq >= 0 && seq < TOTAL, `${what}: seq ${seq} was never written`);
    assert.ok(seq > last[seq % 2]!, `${what}: seq ${seq} after ${last[seq % 2]} in partition ${seq % 2}`);
    last[seq % 2] = seq;
  }
}

test('crash: a child writing through the file sink is SIGKILLed at random points; committed lines exactly once', {
  timeout: 180_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rivulet-files-crash-'));
  dirs.push(dir);
  let acked = new Map<number, number>();
  let tails = 0;
  for (let round = 0; round < KILLS; round++) {
    const external = round % 2 === 1;
    const run = external
      ? await runChild(dir, 1 + Math.floor(Math.random() * 8), Math.floor(Math.random() * 4))
      : await runChild(dir, undefined, 0, 1 + Math.floor(Math.random() * 40));
    if (run.acked !== undefined) acked = run.acked;
    assert.ok(run.signal === 'SIGKILL' && !run.done, `round ${round}: the child ended before it was killed`);
    const { seqs, uncommittedTail } = await committedSeqs(dir);
    if (uncommittedTail) tails++;
    assertOrderedUnique(seqs, `round ${round}`);
    const present = new Set(seqs);
    for (let seq = 0; seq < TOTAL; seq++)
      if (Math.floor(seq / 2) < (acked.get(seq % 2) ?? 0))
        assert.ok(present.has(seq), `round ${round}: committed ${seq} is missing`);
  }
  const last = await runChild(dir, undefined, 0);
  assert.ok(last.done, 'the last child ran to the end');
  const rows = (await readSinkLines(dir, 'out')).map((r) => r.seq as number);
  assertOrderedUnique(rows, 'after the last run');
  assert.deepEqual(
    [...rows].sort((a, b) => a - b),
    Array.from({ length: TOTAL }, (_, i) => i),
    'exactly the reference',
  );
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).length;
  console.log(`# ${KILLS} kills, ${tails} left an uncommitted tail (killed inside a commit), ${files} files`);
});
