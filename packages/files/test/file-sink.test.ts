import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isEngineError, type SinkRecord } from 'rivulet/connector';
import { sinkConformance } from 'rivulet/connector/conformance';
import { type FileSinkOptions, fileSink } from '../src/index.ts';
import { fileSinkHarness, readSinkLines } from './file-sink-harness.ts';

sinkConformance('files (jsonl sink)', fileSinkHarness);

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rivulet-files-sink-test-'));
  dirs.push(dir);
  return dir;
}
const context = { pipeline: 'p', name: 'out', partitions: 1 };

function record(offset: number, value: string | null = JSON.stringify({ n: offset })): SinkRecord {
  return {
    key: null,
    value: value === null ? null : Buffer.from(value),
    timestamp: 0,
    headers: undefined,
    partition: 0,
    offset,
    id: `p/out/0/${offset}`,
  };
}
const upTo = (n: number) => new Map([[0, n]]);

describe('file sink', () => {
  test('bad options fail fast with INVALID_ARGUMENT naming the option', () => {
    const bad = (options: unknown, name: string) =>
      assert.throws(
        () => fileSink(options as FileSinkOptions),
        (e: unknown) => isEngineError(e, 'INVALID_ARGUMENT') && e.message.includes(name),
        name,
      );
    bad({ prefix: 'a' }, '`dir`');
    bad({ dir: '/tmp/x' }, '`prefix`');
    bad({ dir: '/tmp/x', prefix: '../a' }, '`prefix`');
    bad({ dir: '/tmp/x', prefix: 'a', format: 'csv' }, '`format`');
    bad({ dir: '/tmp/x', prefix: 'a', rollBytes: 0 }, '`rollBytes`');
    bad({ dir: '/tmp/x', prefix: 'a', rollMs: 1.5 }, '`rollMs`');
  });

  test('refuses values that are no JSON line (line breaks, not JSON, tombstones) at their index, buffering nothing', async () => {
    const dir = await tempDir();
    const writer = await fileSink({ dir, prefix: 'out' }).open(context);
    for (const bad of ['{"a":\n1}', '{"a":1}\r', 'nope', null])
      await assert.rejects(writer.write([record(0), record(1, bad)]), (e: unknown) => {
        assert.ok(isEngineError(e, 'INVALID_RECORD'), String(e));
        assert.equal(e.details.index, 1);
        return true;
      });
    await writer.write([record(0), record(1)]);
    await writer.commit(upTo(2));
    assert.equal(await readFile(join(dir, 'out-000000.jsonl'), 'utf8'), '{"n":0}\n{"n":1}\n');
    await writer.close();
  });

  test('rotation at a commit by rollBytes and by rollMs (injected clock); committed() comes from the manifest', async () => {
    const dir = await tempDir();
    let now = 0;
    const sink = fileSink({ dir, prefix: 'out', rollBytes: 20, rollMs: 1_000, clock: () => now });
    const writer = await sink.open(context);
    await writer.write([record(0), record(1)]); // 16 bytes
    await writer.commit(upTo(2));
    await writer.write([record(2)]); // 24 bytes >= 20: roll after this commit
    await writer.commit(upTo(3));
    await writer.write([record(3)]);
    await writer.commit(upTo(4));
    now += 999;
    await writer.commit(upTo(4));
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort(), [
      'out-000000.jsonl',
      'out-000001.jsonl',
    ]);
    now += 1; // out-000001 is 1 s old
    await writer.commit(upTo(4));
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort(), [
      'out-000000.jsonl',
      'out-000001.jsonl',
      'out-000002.jsonl',
    ]);
    assert.equal(await readFile(join(dir, 'out-000000.jsonl'), 'utf8'), '{"n":0}\n{"n":1}\n{"n":2}\n');
    assert.equal(await readFile(join(dir, 'out-000001.jsonl'), 'utf8'), '{"n":3}\n');
    await writer.write([record(4)]);
    await writer.commit(upTo(5));
    await writer.close();
    const again = await sink.open(context);
    assert.deepEqual(await again.committed(), upTo(5));
    assert.deepEqual(
      await readSinkLines(dir, 'out'),
      [0, 1, 2, 3, 4].map((n) => ({ n })),
    );
    await again.close();
  });

  test('open truncates an uncommitted tail and deletes files after the manifest’s; replayed records are dropped', async () => {
    const dir = await tempDir();
    const sink = fileSink({ dir, prefix: 'out' });
    const first = await sink.open(context);
    await first.write([record(0), record(1)]);
    await first.commit(upTo(2));
    await first.close();
    // What a crash inside a commit and inside a rotation leave behind:
    await appendFile(join(dir, 'out-000000.jsonl'), '{"n":2}\n{"n":3');
    await writeFile(join(dir, 'out-000001.jsonl'), '');
    await writeFile(join(dir, '.out.manifest.json.tmp'), '{"half');
    const second = await sink.open(context);
    assert.deepEqual((await readdir(dir)).sort(), ['out-000000.jsonl', 'out.manifest.json']);
    assert.equal(await readFile(join(dir, 'out-000000.jsonl'), 'utf8'), '{"n":0}\n{"n":1}\n');
    assert.deepEqual(await second.committed(), upTo(2));
    await second.write([record(1), record(2)]);
    await second.commit(upTo(3));
    assert.equal(await readFile(join(dir, 'out-000000.jsonl'), 'utf8'), '{"n":0}\n{"n":1}\n{"n":2}\n');
    await second.close();
    // A file shorter than committed (damaged by hand) is a failure, not silently accepted.
    await writeFile(join(dir, 'out-000000.jsonl'), '{"n":0}\n');
    await assert.rejects(
      sink.open(context),
      (e: unknown) => isEngineError(e, 'CONNECTOR_FAILED') && !e.retryable,
    );
    // So is a damaged manifest.
    await writeFile(join(dir, 'out.manifest.json'), '{"half');
    await assert.rejects(
      sink.open(context),
      (e: unknown) => isEngineError(e, 'CONNECTOR_FAILED') && !e.retryable,
    );
  });
});
