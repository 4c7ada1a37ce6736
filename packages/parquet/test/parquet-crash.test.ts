import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { runCrashChild } from 'rivulet/testing';
import { crashRecord } from './crash-reference.ts';
import { parquetFiles } from './parquet-harness.ts';

const CHILD = fileURLToPath(new URL('./parquet-crash-child.ts', import.meta.url));
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

async function tempFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => String(e).endsWith('.tmp')).length;
}

/** The rows DuckDB reads from every visible file, in seq order (DuckDB fails on a partial file). */
async function duckRows(
  dir: string,
): Promise<Array<{ seq: number; name: string; amount: number; ok: boolean }>> {
  if ((await parquetFiles(dir)).length === 0) return [];
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT seq, name, amount, ok FROM read_parquet('${dir}/**/*.parquet') ORDER BY seq`,
    );
    return reader.getRowObjects().map((r) => ({
      seq: Number(r.seq),
      name: String(r.name),
      amount: Number(r.amount),
      ok: r.ok as boolean,
    }));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function expectedRow(seq: number) {
  const value = JSON.parse(Buffer.from(crashRecord(seq).value!).toString()) as {
    seq: number;
    name: string;
    amount: number;
    ok: boolean;
  };
  return value;
}

test('crash: a child writing through the sink is SIGKILLed at random points; DuckDB sees each row once', {
  timeout: 180_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rivulet-parquet-crash-'));
  dirs.push(dir);
  let acked = new Map<number, number>();
  let midCommitKills = 0;
  for (let round = 0; round < KILLS; round++) {
    // Odd rounds: killed from outside at a random moment (the child commits every few ms, so the kill
    // lands anywhere in a commit cycle). Even rounds: the child kills itself before a random fs step.
    const external = round % 2 === 1;
    const run = external
      ? await runChild(dir, 1 + Math.floor(Math.random() * 8), Math.floor(Math.random() * 4))
      : await runChild(dir, undefined, 0, 1 + Math.floor(Math.random() * 200));
    if (run.acked !== undefined) acked = run.acked;
    assert.ok(run.signal === 'SIGKILL' && !run.done, `round ${round}: the child ended before it was killed`);
    if ((await tempFiles(dir)) > 0) midCommitKills++;
    // Straight after the crash (before any reopen): no duplicate, nothing foreign, every acknowledged commit there.
    const rows = await duckRows(dir);
    const seen = new Set<number>();
    for (const row of rows) {
      assert.ok(!seen.has(row.seq), `round ${round}: seq ${row.seq} is stored twice`);
      seen.add(row.seq);
      assert.deepEqual(
        row,
        expectedRow(row.seq),
        `round ${round}: row ${row.seq} differs from the reference`,
      );
    }
    for (let seq = 0; seq < TOTAL; seq++) {
      const r = crashRecord(seq);
      if (r.offset < (acked.get(r.partition) ?? 0))
        assert.ok(seen.has(seq), `round ${round}: committed row ${seq} is missing`);
    }
  }
  const last = await runChild(dir, undefined, 0);
  assert.ok(last.done, 'the last child ran to the end');
  assert.equal(await tempFiles(dir), 0, 'no temp file is left after a clean run');
  const rows = await duckRows(dir);
  assert.deepEqual(
    rows,
    Array.from({ length: TOTAL }, (_, seq) => expectedRow(seq)),
    'exactly the reference rows',
  );
  console.log(
    `# ${KILLS} kills, ${[...acked.values()].reduce((a, b) => a + b, 0)} rows acknowledged before the last run, ${midCommitKills} left temp files behind (killed inside a commit)`,
  );
});
