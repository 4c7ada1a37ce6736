/**
 * In-process checks of the CLI's pure parts: option parsers, line splitting, the line -> record rule
 * (against the log's own size limit as the reference), the consume output line, duration formatting.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { type BadLine, parseLineRecord } from '../../src/cli/line-record.ts';
import {
  parseDurability,
  parseDurationMs,
  parseNonNegativeInteger,
  parsePositiveInteger,
  parseTimestamp,
} from '../../src/cli/option-parsers.ts';
import { readLines } from '../../src/cli/read-lines.ts';
import { formatRecordLine } from '../../src/cli/record-line.ts';
import { formatDuration } from '../../src/cli/topics-describe-command.ts';
import { createLog } from '../../src/log/index.ts';
import { parseDuration } from '../../src/model/index.ts';
import { tempDir } from './cli-harness.ts';

describe('cli option parsers', () => {
  it('parse integers, durations, durability and times; refuse the rest as usage errors', () => {
    assert.equal(parseNonNegativeInteger('0'), 0);
    assert.equal(parsePositiveInteger('12'), 12);
    for (const bad of ['', '-1', '1.5', 'abc', '1e3', ' 1', '99999999999999999999']) {
      assert.throws(() => parseNonNegativeInteger(bad), InvalidArgumentError, bad);
    }
    assert.throws(() => parsePositiveInteger('0'), InvalidArgumentError);
    assert.equal(parseDurationMs('7d'), 7 * 86_400_000);
    assert.equal(parseDurationMs('1h30m'), 5_400_000);
    assert.throws(() => parseDurationMs('7 days'), InvalidArgumentError);
    assert.equal(parseDurability('fsync'), 'fsync');
    assert.equal(parseDurability('none'), 'none');
    assert.deepEqual(parseDurability('interval(1s)'), { interval: 1000 });
    assert.throws(() => parseDurability('sometimes'), InvalidArgumentError);
    assert.equal(parseTimestamp('1700000000123'), 1_700_000_000_123);
    assert.equal(parseTimestamp('2024-05-01T12:00:00.250Z'), Date.UTC(2024, 4, 1, 12, 0, 0, 250));
    assert.equal(parseTimestamp('2024-05-01'), Date.UTC(2024, 4, 1));
    assert.equal(parseTimestamp('2024-05-01T14:00:00+02:00'), Date.UTC(2024, 4, 1, 12));
    for (const bad of ['yesterday', '2024-13-45', 'May 1 2024', '-5']) {
      assert.throws(() => parseTimestamp(bad), InvalidArgumentError, bad);
    }
  });

  it('formatDuration writes what parseDuration reads back', () => {
    for (const ms of [0, 1, 999, 1000, 61_000, 5_400_000, 86_400_000, 7 * 86_400_000 + 3_723_004]) {
      assert.equal(parseDuration(formatDuration(ms)), ms, String(ms));
    }
    assert.equal(formatDuration(7 * 86_400_000), '7d');
    assert.equal(formatDuration(5_400_000), '1h30m');
  });
});

describe('cli readLines', () => {
  it('numbers lines across chunk boundaries, splits multi-byte characters correctly, strips CR and BOM', async () => {
    const text = '\uFEFF{"a":"é"}\r\n\n{"b":"日本"}\nlast';
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 5, bytes.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const lines = [];
      for await (const batch of readLines(Readable.from(chunks))) lines.push(...batch);
      assert.deepEqual(
        lines,
        [
          { number: 1, text: '{"a":"é"}' },
          { number: 2, text: '' },
          { number: 3, text: '{"b":"日本"}' },
          { number: 4, text: 'last' },
        ],
        `chunk size ${size}`,
      );
    }
  });
});

describe('cli parseLineRecord', () => {
  const options = { keyField: 'id', partition: undefined, maxRecordBytes: 1 << 20 };
  const bad = (text: string): BadLine['code'] | undefined =>
    parseLineRecord({ number: 1, text }, options).bad?.code;

  it('re-serialises the value and takes the key from the field', () => {
    assert.deepEqual(parseLineRecord({ number: 1, text: ' { "id" : "x", "n": [1, 2] } ' }, options), {
      record: { key: 'x', value: '{"id":"x","n":[1,2]}' },
    });
    assert.equal(parseLineRecord({ number: 1, text: '{"id":42}' }, options).record?.key, '42');
    assert.equal(parseLineRecord({ number: 1, text: '{"id":true}' }, options).record?.key, 'true');
    assert.deepEqual(
      parseLineRecord(
        { number: 1, text: '"just a string"' },
        { ...options, keyField: undefined, partition: 3 },
      ),
      { record: { key: null, value: '"just a string"', partition: 3 } },
    );
  });

  it('classifies bad lines with stable codes', () => {
    assert.equal(bad('{"id":'), 'INVALID_JSON');
    assert.equal(bad("{'id':1}"), 'INVALID_JSON');
    assert.equal(bad('{"other":1}'), 'INVALID_RECORD');
    assert.equal(bad('{"id":null}'), 'INVALID_RECORD');
    assert.equal(bad('{"id":[1]}'), 'INVALID_RECORD');
    assert.equal(bad('[{"id":1}]'), 'INVALID_RECORD');
    assert.equal(bad('{"__proto__":{"id":"x"}}'), 'INVALID_RECORD');
    assert.equal(bad('{"id":"x"}'), undefined);
  });

  it('never passes a record the log refuses as too large (the log is the reference)', async () => {
    const dir = tempDir('units');
    const log = await createLog({ dataDir: dir.path, maxRecordBytes: 400, maintenanceInterval: false });
    try {
      await log.createTopic('sizes', { durability: 'none' });
      const limit = log.topicConfig('sizes').maxRecordBytes;
      const producer = log.createProducer({ idempotent: false });
      let refusedByBoth = 0;
      let passed = 0;
      for (let pad = 300; pad <= 420; pad++) {
        const text = JSON.stringify({ id: 'k'.repeat(pad % 7), pad: 'p'.repeat(pad) });
        const result = parseLineRecord(
          { number: 1, text },
          { keyField: 'id', partition: undefined, maxRecordBytes: limit },
        );
        let logAccepts = true;
        try {
          await producer.send('sizes', [{ key: 'k'.repeat(pad % 7), value: text }]);
        } catch {
          logAccepts = false;
        }
        if (result.record !== undefined) {
          passed++;
          assert.ok(logAccepts, `CLI passed a record the log refused (pad ${pad})`);
        } else {
          assert.equal(result.bad.code, 'RECORD_TOO_LARGE');
          if (!logAccepts) refusedByBoth++;
        }
      }
      assert.ok(refusedByBoth > 0 && passed > 0);
    } finally {
      await log.close();
      dir.remove();
    }
  });
});

describe('cli formatRecordLine', () => {
  it('parses JSON values, keeps other text as a string, maps headers and nulls', async () => {
    const dir = tempDir('units-format');
    const log = await createLog({ dataDir: dir.path, maintenanceInterval: false });
    try {
      await log.createTopic('f', { durability: 'none' });
      await log.createProducer().send('f', [
        { key: 'k', value: '{"a":[1,{"b":null}]}', timestamp: 5 },
        {
          key: null,
          value: 'plain text, not JSON',
          headers: new Map([
            ['__proto__', Buffer.from('x')],
            ['h', Buffer.from('é')],
          ]),
        },
        { key: 'gone', value: null, timestamp: 7 },
      ]);
      const { records } = await log.fetch('f', 0, 0);
      const lines = records.map((r) => JSON.parse(formatRecordLine('f', 0, r)) as Record<string, unknown>);
      assert.deepEqual(lines[0], {
        topic: 'f',
        partition: 0,
        offset: 0,
        timestamp: 5,
        key: 'k',
        value: { a: [1, { b: null }] },
        headers: {},
      });
      assert.equal(lines[1]!.value, 'plain text, not JSON');
      assert.equal(lines[1]!.key, null);
      assert.deepEqual(Object.entries(lines[1]!.headers as object), [
        ['__proto__', 'x'],
        ['h', 'é'],
      ]);
      assert.equal(lines[2]!.value, null);
      assert.equal(lines[2]!.offset, 2);
    } finally {
      await log.close();
      dir.remove();
    }
  });
});
