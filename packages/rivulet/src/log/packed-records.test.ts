import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { LogRecord } from './log-record.ts';
import { packRecords, unpackRecords } from './packed-records.ts';
import { decodeBatchRecords, type EncodableRecord, encodeBatch } from './record-batch.ts';

const bytes = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null });
const record = fc.record({
  key: bytes,
  value: bytes,
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  headers: fc.option(
    fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 })), { maxLength: 3 }),
    { nil: undefined },
  ),
});

const plain = (b: Uint8Array | null) => (b === null ? null : [...b]);

test('packed records (drafts, and log records read from a batch) unpack to the same records', () => {
  fc.assert(
    fc.property(
      fc.array(record, { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 0, max: 1e9 }),
      (drafts, base) => {
        const records = drafts.map((d) => ({
          key: d.key,
          value: d.value,
          timestamp: d.timestamp,
          headers: d.headers === undefined ? undefined : new Map(d.headers),
        }));
        const expected = records.map((r) => ({
          key: plain(r.key),
          value: plain(r.value),
          timestamp: r.timestamp,
          headers:
            r.headers === undefined || r.headers.size === 0
              ? undefined
              : [...r.headers].map(([k, v]) => [k, [...v]]),
        }));
        const seen = (list: readonly EncodableRecord[]) =>
          list.map((r) => ({
            key: plain(r.key),
            value: plain(r.value),
            timestamp: r.timestamp,
            headers: r.headers === undefined ? undefined : [...r.headers].map(([k, v]) => [k, [...v]]),
          }));
        const fromDrafts = unpackRecords(packRecords(records));
        assert.deepEqual(seen(fromDrafts), expected);
        // Records read from the log (key and value are views made by getters) pack the same way.
        const batch = encodeBatch(records, 0, records.length, { baseOffset: base });
        const read: LogRecord[] = [];
        decodeBatchRecords(batch, 0, base, read);
        const fromLog = unpackRecords(packRecords(read));
        assert.deepEqual(seen(fromLog), expected);
      },
    ),
  );
});
