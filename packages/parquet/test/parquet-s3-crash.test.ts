import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type CrashChildRun, runCrashChild } from 'rivulet/testing';
import { crashRecord } from './crash-reference.ts';
import { BucketReader, objectRange, S3Server } from './parquet-s3-harness.ts';

const CHILD = fileURLToPath(new URL('./parquet-s3-crash-child.ts', import.meta.url));
const TOTAL = 16_000;
const KILLS = 9;
const PREFIX = 'crash/';
const MANIFEST = `${PREFIX}_rivulet-part-sink.manifest.json`;

let server: S3Server;
before(async () => {
  server = await S3Server.start();
});
after(async () => {
  await server?.close();
});

/** Runs the child with the fetch-level crash points in its environment (runCrashChild has none for them). */
async function runChild(
  options: {
    killAfterCommits?: number;
    delayMs?: number;
    beforeRequest?: number;
    afterRequest?: number;
  } = {},
): Promise<CrashChildRun> {
  const saved = { ...process.env };
  process.env.CRASH_BEFORE_REQUEST = String(options.beforeRequest ?? 0);
  process.env.CRASH_AFTER_REQUEST = String(options.afterRequest ?? 0);
  try {
    // A different commit size per run: replayed rows land in objects with other offset ranges than the
    // crashed run's uncommitted objects, which only recovery's deletes then keep from being counted twice.
    const commitEvery = 40 * (3 + Math.floor(Math.random() * 5));
    return await runCrashChild(CHILD, [server.endpoint, PREFIX, String(TOTAL), String(commitEvery)], {
      ...(options.killAfterCommits === undefined ? {} : { killAfterCommits: options.killAfterCommits }),
      delayMs: options.delayMs ?? 0,
    });
  } finally {
    process.env = saved;
  }
}

type Row = { seq: number; name: string; amount: number; ok: boolean };

function expectedRow(seq: number): Row {
  return JSON.parse(Buffer.from(crashRecord(seq).value!).toString()) as Row;
}

/** Reads `keys` with hyparquet, 8 at a time, rows in key order. */
async function readRows(reader: BucketReader, keys: readonly string[]): Promise<Row[]> {
  const out: Row[][] = new Array(keys.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < keys.length) {
        const i = next++;
        out[i] = (await reader.rows(keys[i]!)) as Row[];
      }
    }),
  );
  return out.flat();
}

/** What a reader following the README sees: the manifest's positions and the objects below them. */
async function committedView(reader: BucketReader) {
  const bytes = await reader.get(MANIFEST);
  const positions = new Map<number, number>(
    bytes === undefined
      ? []
      : (JSON.parse(Buffer.from(bytes).toString()).positions as Array<[number, number]>),
  );
  const all = (await reader.keys(PREFIX)).filter((k) => k.endsWith('.parquet'));
  const committed = all.filter((k) => {
    const r = objectRange(k)!;
    return r.last < (positions.get(r.partition) ?? 0);
  });
  return { positions, all, committed };
}

test('crash (s3): a child writing to s3rver is SIGKILLed at random points; committed objects hold each row once', {
  timeout: 180_000,
}, async () => {
  const reader = new BucketReader(server.endpoint);
  let acked = new Map<number, number>();
  let strayKills = 0;
  for (let round = 0; round < KILLS; round++) {
    // Round 0, 3, 6: killed from outside at a random moment after a random commit; 1, 4, 7: the child kills
    // itself before its n-th S3 request; 2, 5, 8: right after S3 answered its n-th request.
    const kind = round % 3;
    const n = 1 + Math.floor(Math.random() * 40);
    const run =
      kind === 0
        ? await runChild({
            killAfterCommits: 1 + Math.floor(Math.random() * 6),
            delayMs: Math.floor(Math.random() * 4),
          })
        : kind === 1
          ? await runChild({ beforeRequest: n })
          : await runChild({ afterRequest: n });
    if (run.acked !== undefined) acked = run.acked;
    assert.ok(run.signal === 'SIGKILL' && !run.done, `round ${round}: the child ended before it was killed`);
    const { positions, all, committed } = await committedView(reader);
    if (all.length > committed.length) strayKills++;
    for (const [partition, offset] of acked)
      assert.ok(
        (positions.get(partition) ?? 0) >= offset,
        `round ${round}: the manifest is behind an acknowledged commit`,
      );
    // The committed objects hold exactly the rows below the manifest's positions, each once, as written.
    const rows = await readRows(reader, committed);
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
      const below = r.offset < (positions.get(r.partition) ?? 0);
      assert.equal(
        seen.has(seq),
        below,
        `round ${round}: row ${seq} ${below ? 'is missing' : 'is visible uncommitted'}`,
      );
    }
  }
  const last = await runChild();
  assert.ok(last.done, 'the last child ran to the end');
  const { all, committed } = await committedView(reader);
  assert.deepEqual(all, committed, 'no uncommitted object is left after a clean run');
  const rows = (await readRows(reader, all)).sort((a, b) => a.seq - b.seq);
  assert.deepEqual(
    rows,
    Array.from({ length: TOTAL }, (_, seq) => expectedRow(seq)),
    'exactly the reference rows',
  );
  console.log(
    `# ${KILLS} kills, ${[...acked.values()].reduce((a, b) => a + b, 0)} rows acknowledged before the last run, ${strayKills} left uncommitted objects behind (killed inside a commit), ${all.length} objects at the end`,
  );
});
