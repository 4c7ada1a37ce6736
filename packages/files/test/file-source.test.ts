import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type ConnectorRecord, isEngineError, type SourceReader } from 'rivulet/connector';
import { type FileSourceOptions, fileSource } from '../src/index.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rivulet-files-test-'));
  dirs.push(dir);
  return dir;
}

const text = (bytes: Uint8Array | null | undefined) =>
  bytes == null ? undefined : Buffer.from(bytes).toString('utf8');

/** Polls until a poll comes back empty; returns every record and the last position. */
async function drain(
  reader: SourceReader,
  maxRecords = 1000,
): Promise<{ records: ConnectorRecord[]; position: string }> {
  const records: ConnectorRecord[] = [];
  for (;;) {
    const batch = await reader.poll(maxRecords, 30);
    records.push(...batch.records);
    if (batch.records.length === 0) return { records, position: batch.position };
  }
}

async function openOnly(options: FileSourceOptions, position?: string): Promise<SourceReader> {
  const source = fileSource(options);
  const splits = await source.splits();
  assert.equal(splits.length, 1);
  return source.open(splits[0]!, position);
}

/** value text, and the error header when the row was malformed. */
function row(record: ConnectorRecord): unknown {
  const error = text(record.headers?.get('rivulet.source.error'));
  return error === undefined ? JSON.parse(text(record.value)!) : { raw: text(record.value), error: true };
}

describe('file source', () => {
  test('bad options fail fast with INVALID_ARGUMENT naming the option', () => {
    const bad = (options: unknown, name: string) =>
      assert.throws(
        () => fileSource(options as FileSourceOptions),
        (e: unknown) => isEngineError(e, 'INVALID_ARGUMENT') && e.message.includes(name),
        name,
      );
    bad({ format: 'jsonl' }, '`path`');
    bad({ path: '/x', format: 'xml' }, '`format`');
    bad({ path: '/x', format: 'csv' }, '`csv.header`');
    bad({ path: '/x', format: 'csv', csv: { header: [] } }, '`csv.header`');
    bad({ path: '/x', format: 'csv', csv: { header: ['a', 'a'] } }, '`csv.header`');
    bad({ path: '/x', format: 'csv', csv: { header: true, delimiter: ';;' } }, '`csv.delimiter`');
    bad({ path: '/x', format: 'csv', csv: { header: true, delimiter: '"' } }, '`csv.delimiter`');
    bad({ path: '/x', format: 'jsonl', csv: { header: true } }, '`csv`');
    bad({ path: '/x', format: 'jsonl', pollMs: 0 }, '`pollMs`');
    bad({ path: '/a*/b.jsonl', format: 'jsonl' }, '`path`');
  });

  test('csv: RFC 4180 edge cases against a hand-written table', async () => {
    const dir = await tempDir();
    const file = join(dir, 'in.csv');
    const csv = [
      '\uFEFFid,name,note', // byte order mark, header
      '1,plain,simple', // LF
      '2,"quoted, with comma","say ""hi"""', // quotes, escaped quotes
      '3,crlf,ends with CRLF\r', // CRLF
      '4,"multi\nline","a\r\nb"', // embedded LF and CRLF inside quotes
      '', // blank line: skipped
      '5,,', // empty fields
      '6,"",""', // empty quoted fields
      '7,too,many,fields', // wrong column count
      '8,"bad"x,after quote', // character after a closing quote
      '9,caf\u00e9 \u{1F600},utf8', // multi-byte UTF-8
      '10,"unterminated,here', // unbalanced quote up to EOF ...
      '11,after,unbalanced', // ... only its first line is malformed
      '12,last,no newline',
    ].join('\n');
    await writeFile(file, csv);
    const reader = await openOnly({ path: file, format: 'csv', csv: { header: true } });
    const { records } = await drain(reader, 3);
    await reader.close();
    const rows = records.map(row);
    assert.deepEqual(rows, [
      { id: '1', name: 'plain', note: 'simple' },
      { id: '2', name: 'quoted, with comma', note: 'say "hi"' },
      { id: '3', name: 'crlf', note: 'ends with CRLF' },
      { id: '4', name: 'multi\nline', note: 'a\r\nb' },
      { id: '5', name: '', note: '' },
      { id: '6', name: '', note: '' },
      { raw: '7,too,many,fields', error: true },
      { raw: '8,"bad"x,after quote', error: true },
      { id: '9', name: 'caf\u00e9 \u{1F600}', note: 'utf8' },
      { raw: '10,"unterminated,here', error: true },
      { id: '11', name: 'after', note: 'unbalanced' },
      { id: '12', name: 'last', note: 'no newline' },
    ]);
    const lines = records.map((r) => Number(text(r.headers?.get('rivulet.source.line'))));
    assert.deepEqual(
      lines,
      [2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 15, 16],
      'row 4 spans lines 5-7, line 8 is blank',
    );
    const bytes = await readFile(file);
    for (const r of records) {
      const offset = Number(text(r.headers?.get('rivulet.source.byte-offset')));
      const id = /^\d+/.exec(text(r.value)!.replace(/^\{"id":"/, ''))![0];
      assert.ok(bytes.subarray(offset).toString().startsWith(`${id},`), `offset of row ${id}`);
    }
    assert.match(text(records[6]!.headers?.get('rivulet.source.error'))!, /expected 3 fields, got 4/);
    assert.match(text(records[9]!.headers?.get('rivulet.source.error'))!, /not closed/);
  });

  test('csv: 8000 random rows across many 64 KiB chunks read back as written', async () => {
    const dir = await tempDir();
    const file = join(dir, 'big.csv');
    let seed = 42;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const alphabet = ['a', 'b', ',', '"', '\n', '\r\n', ' ', '\u00e9', 'x'.repeat(40)];
    const field = () =>
      Array.from(
        { length: Math.floor(random() * 8) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
    const quote = (f: string) => (/[",\r\n]/.test(f) || random() < 0.2 ? `"${f.replace(/"/g, '""')}"` : f);
    const expected = Array.from({ length: 8000 }, (_, i) => ({ i: String(i), a: field(), b: field() }));
    const body = expected
      .map((r) => [r.i, r.a, r.b].map(quote).join(','))
      .join(random() < 0.5 ? '\n' : '\r\n');
    await writeFile(file, `i,a,b\r\n${body}\r\n`);
    const size = (await stat(file)).size;
    assert.ok(size > 3 * 64 * 1024, `spans several read chunks (${size} bytes)`);
    const reader = await openOnly({ path: file, format: 'csv', csv: { header: true } });
    const { records } = await drain(reader, 7);
    await reader.close();
    assert.deepEqual(records.map(row), expected);
  });

  test('csv: given column names, another delimiter; resuming past a header keeps the names', async () => {
    const dir = await tempDir();
    const semi = join(dir, 'semi.csv');
    await writeFile(semi, 'a;"b;c"\r\n1;2\r\n');
    const named = await openOnly({ path: semi, format: 'csv', csv: { header: ['x', 'y'], delimiter: ';' } });
    assert.deepEqual((await drain(named)).records.map(row), [
      { x: 'a', y: 'b;c' },
      { x: '1', y: '2' },
    ]);
    await named.close();

    const headed = join(dir, 'headed.csv');
    await writeFile(headed, 'k,v\n1,one\n2,two\n');
    const options: FileSourceOptions = { path: headed, format: 'csv', csv: { header: true } };
    const first = await openOnly(options);
    const batch = await first.poll(1, 100);
    assert.deepEqual(batch.records.map(row), [{ k: '1', v: 'one' }]);
    await first.close();
    const again = await openOnly(options, batch.position);
    assert.deepEqual((await drain(again)).records.map(row), [{ k: '2', v: 'two' }]);
    await again.close();
  });

  test('jsonl: values are the lines as they are; provenance headers file, offset, line', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.jsonl');
    const content = '{"a":1}\n\n  \r\n{"b":2}\r\nnot json\n{"c":3}';
    await writeFile(file, content);
    const reader = await openOnly({ path: file, format: 'jsonl' });
    const { records, position } = await drain(reader, 2);
    await reader.close();
    assert.deepEqual(
      records.map((r) => [
        text(r.value),
        text(r.headers?.get('rivulet.source.file')),
        Number(text(r.headers?.get('rivulet.source.byte-offset'))),
        Number(text(r.headers?.get('rivulet.source.line'))),
      ]),
      [
        ['{"a":1}', file, 0, 1],
        ['{"b":2}', file, content.indexOf('{"b"'), 4],
        ['not json', file, content.indexOf('not'), 5],
        ['{"c":3}', file, content.indexOf('{"c"'), 6],
      ],
    );
    assert.equal(
      position,
      `${content.length}:5:${(await stat(file)).ino}`,
      'bounded mode: after the last line',
    );
  });

  test('positions: malformed, not at a line start, or from another file are SOURCE_POSITION_INVALID', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"a":1}\n{"b":2}\n');
    const { ino } = await stat(file);
    const options: FileSourceOptions = { path: file, format: 'jsonl' };
    for (const position of [
      '',
      'abc',
      '8',
      '8:1',
      '-1:0:1',
      `8:1:${ino}:x`,
      `3:0:${ino}`,
      `999:0:${ino}`,
      `8:1:${ino + 1}`,
    ])
      await assert.rejects(
        openOnly(options, position),
        (e: unknown) => isEngineError(e, 'SOURCE_POSITION_INVALID'),
        position,
      );
    const ok = await openOnly(options, `8:1:${ino}`);
    assert.deepEqual(
      (await drain(ok)).records.map((r) => text(r.value)),
      ['{"b":2}'],
    );
    await ok.close();
    await assert.rejects(
      fileSource({ path: join(dir, 'missing.jsonl'), format: 'jsonl' }).splits(),
      (e: unknown) => isEngineError(e, 'CONNECTOR_FAILED') && !e.retryable,
    );
  });

  for (const watch of [false, true])
    test(`follow (${watch ? 'fs.watch' : 'polling only'}): a partial line waits for its newline; bounded mode returns it at EOF`, async () => {
      const dir = await tempDir();
      const file = join(dir, 'f.jsonl');
      await writeFile(file, '{"n":1}\n{"n":');
      const follow = await openOnly({
        path: file,
        format: 'jsonl',
        follow: true,
        pollMs: watch ? 60_000 : 10,
        watch,
      });
      const bounded = await openOnly({ path: file, format: 'jsonl' });
      assert.deepEqual(
        (await drain(follow)).records.map((r) => text(r.value)),
        ['{"n":1}'],
      );
      assert.deepEqual(
        (await drain(bounded)).records.map((r) => text(r.value)),
        ['{"n":1}', '{"n":'],
      );
      const waiting = follow.poll(10, 10_000);
      await appendFile(file, '2}\n{"n":3}\n');
      const started = Date.now();
      const batch = await waiting;
      assert.deepEqual(
        batch.records.map((r) => text(r.value)),
        ['{"n":2}', '{"n":3}'],
      );
      assert.ok(Date.now() - started < 5_000, 'woken by the append');
      assert.equal(batch.position.split(':')[0], String((await stat(file)).size));
      await follow.close();
      await bounded.close();
    });

  test('follow: rotation (rename + new file) drains the old file, then reads the new one; truncation restarts', async () => {
    const dir = await tempDir();
    const file = join(dir, 'app.jsonl');
    await writeFile(file, '{"n":1}\n');
    const reader = await openOnly({ path: file, format: 'jsonl', follow: true, pollMs: 10, watch: false });
    assert.deepEqual(
      (await drain(reader)).records.map((r) => text(r.value)),
      ['{"n":1}'],
    );
    await appendFile(file, '{"n":2}\n{"n":3'); // the last line is cut by the rotation
    await rename(file, join(dir, 'app.jsonl.1'));
    await writeFile(file, '{"n":4}\n');
    const afterRotation = (await drain(reader)).records.map((r) => text(r.value));
    assert.deepEqual(afterRotation, ['{"n":2}', '{"n":3', '{"n":4}']);
    await truncate(file, 0); // seen while shorter than the position (see README: limits)
    assert.deepEqual((await drain(reader)).records, []);
    await appendFile(file, '{"n":5}\n');
    const afterTruncation = await drain(reader);
    assert.deepEqual(
      afterTruncation.records.map((r) => text(r.value)),
      ['{"n":5}'],
    );
    assert.equal(text(afterTruncation.records[0]!.headers?.get('rivulet.source.line')), '1');
    await reader.close();
    // A position taken in the rotated-away file: following restarts the new file; bounded refuses it.
    const { ino } = await stat(join(dir, 'app.jsonl.1'));
    const resumed = await openOnly({ path: file, format: 'jsonl', follow: true, pollMs: 10 }, `8:1:${ino}`);
    assert.deepEqual(
      (await drain(resumed)).records.map((r) => text(r.value)),
      ['{"n":5}'],
    );
    await resumed.close();
    await assert.rejects(openOnly({ path: file, format: 'jsonl' }, `8:1:${ino}`), (e: unknown) =>
      isEngineError(e, 'SOURCE_POSITION_INVALID'),
    );
  });

  test('splits: the sorted file names matching the pattern; a directory without pattern takes every file', async () => {
    const dir = await tempDir();
    for (const name of ['b.jsonl', 'a.jsonl', 'c.csv', 'a.jsonl.bak']) await writeFile(join(dir, name), '');
    assert.deepEqual(await fileSource({ path: join(dir, '*.jsonl'), format: 'jsonl' }).splits(), [
      'a.jsonl',
      'b.jsonl',
    ]);
    assert.deepEqual(await fileSource({ path: join(dir, '?.*'), format: 'jsonl' }).splits(), [
      'a.jsonl',
      'a.jsonl.bak',
      'b.jsonl',
      'c.csv',
    ]);
    assert.deepEqual(await fileSource({ path: dir, format: 'jsonl' }).splits(), [
      'a.jsonl',
      'a.jsonl.bak',
      'b.jsonl',
      'c.csv',
    ]);
    await assert.rejects(fileSource({ path: dir, format: 'jsonl' }).open('../x', undefined), (e: unknown) =>
      isEngineError(e, 'SOURCE_POSITION_INVALID'),
    );
  });
});
