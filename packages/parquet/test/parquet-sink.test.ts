import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isEngineError, type SinkRecord } from 'rivulet/connector';
import { sinkConformance } from 'rivulet/connector/conformance';
import { type ParquetSinkOptions, parquetSink } from '../src/index.ts';
import { parquetFiles, parquetSinkHarness, readParquetRows } from './parquet-harness.ts';

sinkConformance('parquet', parquetSinkHarness);

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rivulet-parquet-test-'));
  dirs.push(dir);
  return dir;
}

const context = { pipeline: 'p', name: 'sink', partitions: 2 };
const T0 = Date.UTC(2026, 11, 7, 13, 59, 59, 999);

function record(partition: number, offset: number, value: unknown, timestamp = T0): SinkRecord {
  return {
    key: null,
    value: typeof value === 'string' ? Buffer.from(value) : Buffer.from(JSON.stringify(value)),
    timestamp,
    headers: undefined,
    partition,
    offset,
    id: `p/sink/${partition}/${offset}`,
  };
}

function assertInvalidArgument(options: unknown, option: string) {
  assert.throws(
    () => parquetSink(options as ParquetSinkOptions),
    (error: unknown) =>
      isEngineError(error, 'INVALID_ARGUMENT') && error.message.includes(option) && !error.retryable,
    `options ${JSON.stringify(options)} are refused naming ${option}`,
  );
}

describe('parquet sink', () => {
  test('bad options fail fast with INVALID_ARGUMENT naming the option', () => {
    const columns = [{ name: 'a', type: 'STRING' }];
    assertInvalidArgument({ columns }, '`dir`');
    assertInvalidArgument({ dir: '/tmp/x' }, '`columns`');
    assertInvalidArgument({ dir: '/tmp/x', columns: [] }, '`columns`');
    assertInvalidArgument({ dir: '/tmp/x', columns: [{ name: 'a', type: 'VARCHAR' }] }, "column 'a'");
    assertInvalidArgument({ dir: '/tmp/x', columns: { a: 'STRING', b: 'INT' } }, "column 'b'");
    assertInvalidArgument({ dir: '/tmp/x', columns: [...columns, ...columns] }, 'twice');
    assertInvalidArgument({ dir: '/tmp/x', columns, partitionBy: 'month' }, '`partitionBy`');
    assertInvalidArgument({ dir: '/tmp/x', columns, rollRecords: 0 }, '`rollRecords`');
    assertInvalidArgument({ dir: '/tmp/x', columns, rollBytes: 1.5 }, '`rollBytes`');
    assertInvalidArgument({ dir: '/tmp/x', columns, filePrefix: '../up' }, '`filePrefix`');
    assertInvalidArgument({ dir: '/tmp/x', columns, minFileRecords: -1 }, '`minFileRecords`');
  });

  test('partitioned paths: date=YYYY-MM-DD/hour=HH by record timestamp (UTC), files named by offset range', async () => {
    const dir = await tempDir();
    const sink = parquetSink({ dir, columns: { n: 'INT32' } });
    const writer = await sink.open(context);
    const at = (iso: string) => Date.parse(iso);
    await writer.write([
      record(0, 0, { n: 0 }, at('2026-12-07T13:59:59.999Z')),
      record(0, 1, { n: 1 }, at('2026-12-07T14:00:00.000Z')),
      record(1, 0, { n: 2 }, at('2026-12-07T13:00:00.000Z')),
      record(0, 2, { n: 3 }, at('2026-12-08T00:30:00.000Z')),
      record(0, 3, { n: 4 }, at('2026-12-07T13:10:00.000Z')),
    ]);
    assert.deepEqual(await parquetFiles(dir), [], 'nothing is visible before the commit');
    await writer.commit(
      new Map([
        [0, 4],
        [1, 1],
      ]),
    );
    const files = (await parquetFiles(dir)).sort();
    assert.deepEqual(files, [
      'date=2026-12-07/hour=13/part-sink-p0-0-3.parquet',
      'date=2026-12-07/hour=13/part-sink-p1-0-0.parquet',
      'date=2026-12-07/hour=14/part-sink-p0-1-1.parquet',
      'date=2026-12-08/hour=00/part-sink-p0-2-2.parquet',
    ]);
    const n = async (file: string) => (await readParquetRows(join(dir, file))).map((r) => r.n);
    assert.deepEqual(await n(files[0]!), [0, 4]);
    assert.deepEqual(await n(files[1]!), [2]);
    assert.deepEqual(await n(files[2]!), [1]);
    assert.deepEqual(await n(files[3]!), [3]);
    await writer.close();

    const byDate = await tempDir();
    const daily = await parquetSink({ dir: byDate, columns: { n: 'INT32' }, partitionBy: 'date' }).open(
      context,
    );
    await daily.write([
      record(0, 0, { n: 0 }, at('2026-12-07T13:00:00Z')),
      record(0, 1, { n: 1 }, at('2026-12-07T23:00:00Z')),
    ]);
    await daily.commit(new Map([[0, 2]]));
    assert.deepEqual(await parquetFiles(byDate), ['date=2026-12-07/part-sink-p0-0-1.parquet']);
    await daily.close();

    const flat = await tempDir();
    const none = await parquetSink({ dir: flat, columns: { n: 'INT32' }, partitionBy: 'none' }).open(context);
    await none.write([record(1, 7, { n: 0 })]);
    await none.commit(new Map([[1, 8]]));
    assert.deepEqual(await parquetFiles(flat), ['part-sink-p1-7-7.parquet']);
    await none.close();
  });

  test('values map to typed columns; missing fields are null; a misfit refuses the record before anything is buffered', async () => {
    const dir = await tempDir();
    const sink = parquetSink({
      dir,
      partitionBy: 'none',
      columns: [
        { name: 's', type: 'STRING' },
        { name: 'i', type: 'INT32' },
        { name: 'l', type: 'INT64' },
        { name: 'd', type: 'DOUBLE' },
        { name: 'b', type: 'BOOLEAN' },
        { name: 't', type: 'TIMESTAMP' },
        { name: 'j', type: 'JSON' },
      ],
    });
    const writer = await sink.open(context);
    const good = [
      record(0, 0, {
        s: 'a',
        i: -5,
        l: 2 ** 40,
        d: 1.5,
        b: true,
        t: 1_700_000_000_000,
        j: { x: [1, 2] },
        extra: 1,
      }),
      record(0, 1, { t: '2026-12-07T13:00:00Z' }),
    ];
    const misfits: unknown[] = [
      'not json {',
      '[1,2]',
      { s: 1 },
      { i: 2 ** 31 },
      { i: 1.5 },
      { l: 2 ** 60 },
      { d: '1' },
      { b: 0 },
      { t: 'yesterday' },
    ];
    for (const misfit of misfits)
      await assert.rejects(writer.write([...good, record(0, 2, misfit)]), (error: unknown) => {
        assert.ok(isEngineError(error, 'INVALID_RECORD'), `${JSON.stringify(misfit)}: ${String(error)}`);
        assert.equal(error.details.index, 2);
        assert.equal(error.details.connector, 'parquet');
        return true;
      });
    await assert.rejects(writer.write([{ ...good[0]!, value: null }]), (e: unknown) =>
      isEngineError(e, 'INVALID_RECORD'),
    );
    await writer.write(good);
    await writer.commit(new Map([[0, 3]]));
    const files = await parquetFiles(dir);
    assert.deepEqual(files, ['part-sink-p0-0-1.parquet'], 'the refused calls buffered nothing');
    const rows = await readParquetRows(join(dir, files[0]!));
    assert.equal(rows.length, 2);
    assert.deepEqual(
      { ...rows[0], t: (rows[0]!.t as Date).getTime() },
      { s: 'a', i: -5, l: 2 ** 40, d: 1.5, b: true, t: 1_700_000_000_000, j: '{"x":[1,2]}' },
    );
    assert.deepEqual(
      { ...rows[1], t: (rows[1]!.t as Date).getTime() },
      { s: null, i: null, l: null, d: null, b: null, t: Date.parse('2026-12-07T13:00:00Z'), j: null },
    );
    assert.deepEqual(await writer.committed(), new Map([[0, 3]]));
    await writer.close();
  });

  test('rolling: a commit writes one file per rollRecords rows, each named by its offset range', async () => {
    const dir = await tempDir();
    const writer = await parquetSink({
      dir,
      columns: { n: 'INT32' },
      partitionBy: 'none',
      rollRecords: 10,
    }).open(context);
    await writer.write(Array.from({ length: 25 }, (_, i) => record(0, 100 + i, { n: i })));
    await writer.commit(new Map([[0, 125]]));
    assert.deepEqual((await parquetFiles(dir)).sort(), [
      'part-sink-p0-100-109.parquet',
      'part-sink-p0-110-119.parquet',
      'part-sink-p0-120-124.parquet',
    ]);
    const all: unknown[] = [];
    for (const f of ['100-109', '110-119', '120-124'])
      for (const r of await readParquetRows(join(dir, `part-sink-p0-${f}.parquet`))) all.push(r.n);
    assert.deepEqual(
      all,
      Array.from({ length: 25 }, (_, i) => i),
    );
    await writer.close();
  });

  test('minFileRecords defers files (positions stay) until enough rows or flushEveryMs passed', async () => {
    const dir = await tempDir();
    let now = 1_000;
    const sink = parquetSink({
      dir,
      columns: { n: 'INT32' },
      partitionBy: 'none',
      minFileRecords: 10,
      flushEveryMs: 5_000,
      clock: () => now,
    });
    const writer = await sink.open(context);
    await writer.write(Array.from({ length: 4 }, (_, i) => record(0, i, { n: i })));
    await writer.commit(new Map([[0, 4]]));
    assert.deepEqual(await parquetFiles(dir), [], 'deferred');
    assert.deepEqual(await writer.committed(), new Map(), 'positions do not advance without the files');
    await writer.write(Array.from({ length: 6 }, (_, i) => record(0, 4 + i, { n: 4 + i })));
    await writer.commit(new Map([[0, 10]]));
    assert.deepEqual(await parquetFiles(dir), ['part-sink-p0-0-9.parquet'], 'written at 10 rows');
    assert.deepEqual(await writer.committed(), new Map([[0, 10]]));
    await writer.write([record(0, 10, { n: 10 })]);
    now += 4_999;
    await writer.commit(new Map([[0, 11]]));
    assert.equal((await parquetFiles(dir)).length, 1, 'still deferred');
    now += 1;
    await writer.commit(new Map([[0, 11]]));
    assert.deepEqual((await parquetFiles(dir)).sort(), [
      'part-sink-p0-0-9.parquet',
      'part-sink-p0-10-10.parquet',
    ]);
    assert.deepEqual(await writer.committed(), new Map([[0, 11]]));
    await writer.close();
  });

  test('open: removes this sink’s stray temp files, keeps other files; replayed records below the positions are dropped', async () => {
    const dir = await tempDir();
    const first = await parquetSink({ dir, columns: { n: 'INT32' } }).open(context);
    await first.write([record(0, 0, { n: 0 }), record(0, 1, { n: 1 })]);
    await first.commit(new Map([[0, 2]]));
    await first.close();
    const hour = join(dir, 'date=2026-12-07', 'hour=13');
    await writeFile(join(hour, '.part-sink-p0-2-9.parquet.tmp'), 'half a file');
    await mkdir(join(dir, 'date=2026-12-09'), { recursive: true });
    await writeFile(join(dir, 'date=2026-12-09', '.part-sink-p1-0-3.parquet.tmp'), 'half a file');
    await writeFile(join(hour, '.part-other-p0-2-9.parquet.tmp'), 'another sink');
    const second = await parquetSink({ dir, columns: { n: 'INT32' } }).open(context);
    assert.deepEqual((await readdir(hour)).sort(), [
      '.part-other-p0-2-9.parquet.tmp',
      'part-sink-p0-0-1.parquet',
    ]);
    assert.deepEqual(await readdir(join(dir, 'date=2026-12-09')), []);
    assert.deepEqual(await second.committed(), new Map([[0, 2]]));
    await second.write([record(0, 1, { n: 1 }), record(0, 2, { n: 2 })]);
    await second.commit(new Map([[0, 3]]));
    assert.deepEqual((await readdir(hour)).filter((f) => !f.startsWith('.')).sort(), [
      'part-sink-p0-0-1.parquet',
      'part-sink-p0-2-2.parquet',
    ]);
    await second.close();
    // Without a manifest (deleted by hand), positions come from the file names.
    await rm(join(dir, '_rivulet-part-sink.manifest.json'));
    const third = await parquetSink({ dir, columns: { n: 'INT32' } }).open(context);
    assert.deepEqual(await third.committed(), new Map([[0, 3]]));
    await third.close();
    // A damaged manifest fails the open for good (reopening cannot help).
    await writeFile(join(dir, '_rivulet-part-sink.manifest.json'), '{"half');
    await assert.rejects(
      parquetSink({ dir, columns: { n: 'INT32' } }).open(context),
      (e: unknown) => isEngineError(e, 'CONNECTOR_FAILED') && !e.retryable,
    );
  });
});
