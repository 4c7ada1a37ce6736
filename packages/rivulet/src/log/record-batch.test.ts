import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isEngineError } from '../model/index.ts';
import { crc32c } from './crc32c.ts';
import type { LogRecord } from './log-record.ts';
import {
  BATCH_HEADER_BYTES,
  checkBatch,
  decodeBatchRecords,
  type EncodableRecord,
  encodeBatch,
  readBatchHeader,
} from './record-batch.ts';

const recordArb: fc.Arbitrary<EncodableRecord> = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
  headers: fc.option(
    fc
      .uniqueArray(fc.tuple(fc.string({ maxLength: 12 }), fc.uint8Array({ maxLength: 20 })), {
        selector: ([k]) => k,
        maxLength: 4,
      })
      .map((entries) => new Map(entries)),
    { nil: undefined },
  ),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
});

function plain(record: LogRecord): unknown {
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : [...record.key],
    value: record.value === null ? null : [...record.value],
    headers: record.headers === undefined ? [] : [...record.headers].map(([k, v]) => [k, [...v]]),
  };
}

function expected(records: EncodableRecord[], baseOffset: number, deltas?: number[]): unknown[] {
  return records.map((r, i) => ({
    offset: baseOffset + (deltas === undefined ? i : deltas[i]!),
    timestamp: r.timestamp,
    key: r.key === null ? null : [...r.key],
    value: r.value === null ? null : [...r.value],
    headers: r.headers === undefined ? [] : [...r.headers].map(([k, v]) => [k, [...v]]),
  }));
}

test('batches round-trip records, headers, null keys and tombstones (with and without gzip)', () => {
  fc.assert(
    fc.property(
      fc.array(recordArb, { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.boolean(),
      (records, base, gzip) => {
        const batch = encodeBatch(records, 0, records.length, { baseOffset: base, codec: gzip ? 1 : 0 });
        assert.equal(checkBatch(batch, 0, batch.length, 1 << 24), 'ok');
        const header = readBatchHeader(batch, 0);
        assert.equal(header.size, batch.length);
        assert.equal(header.baseOffset, base);
        assert.equal(header.recordCount, records.length);
        assert.equal(header.maxTimestamp, Math.max(...records.map((r) => r.timestamp)));
        const out: LogRecord[] = [];
        decodeBatchRecords(batch, 0, 0, out);
        assert.deepEqual(out.map(plain), expected(records, base));
      },
    ),
    { numRuns: 300 },
  );
});

test('offset deltas (compacted batches) survive, and minOffset filters', () => {
  const records: EncodableRecord[] = [0, 1, 2].map((i) => ({
    key: Buffer.from(`k${i}`),
    value: Buffer.from(`v${i}`),
    headers: undefined,
    timestamp: 10 + i,
  }));
  const batch = encodeBatch(records, 0, 3, { baseOffset: 100, offsetDeltas: [0, 5, 9] });
  assert.equal(readBatchHeader(batch, 0).lastOffsetDelta, 9);
  const out: LogRecord[] = [];
  decodeBatchRecords(batch, 0, 104, out);
  assert.deepEqual(
    out.map((r) => r.offset),
    [105, 109],
  );
});

test('every single-bit flip anywhere in a batch is detected', () => {
  const records: EncodableRecord[] = Array.from({ length: 5 }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: Buffer.from(`value-${i}`.repeat(3)),
    headers: new Map([['h', Buffer.from([i])]]),
    timestamp: 1_700_000_000_000 + i,
  }));
  const batch = encodeBatch(records, 0, records.length, {
    baseOffset: 7,
    producer: { producerId: 3, producerEpoch: 1, baseSequence: 0 },
  });
  for (let byte = 0; byte < batch.length; byte++) {
    for (let bit = 0; bit < 8; bit++) {
      const copy = Buffer.from(batch);
      copy[byte]! ^= 1 << bit;
      assert.notEqual(
        checkBatch(copy, 0, copy.length, 1 << 20),
        'ok',
        `flip of bit ${bit} in byte ${byte} went unnoticed`,
      );
    }
  }
});

test('a batch cut short is incomplete, and a length past the limit is invalid', () => {
  const batch = encodeBatch(
    [{ key: null, value: Buffer.from('x'), headers: undefined, timestamp: 1 }],
    0,
    1,
    { baseOffset: 0 },
  );
  for (let cut = 0; cut < batch.length; cut++)
    assert.equal(checkBatch(batch, 0, cut, 1 << 20), cut >= BATCH_HEADER_BYTES ? 'incomplete' : 'incomplete');
  assert.equal(checkBatch(batch, 0, batch.length, 40), 'invalid');
});

test('a corrupt batch with a valid CRC handed to the decoder fails with CORRUPT_BATCH, never anything else', () => {
  const base = encodeBatch(
    Array.from({ length: 4 }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`value ${i}`),
      headers: new Map([['h', Buffer.from('x')]]),
      timestamp: 5 + i,
    })),
    0,
    4,
    { baseOffset: 10 },
  );
  let corrupt = 0;
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.integer({ min: BATCH_HEADER_BYTES, max: base.length - 1 }),
          fc.integer({ min: 0, max: 255 }),
        ),
        { minLength: 1, maxLength: 6 },
      ),
      fc.integer({ min: 1, max: 8 }),
      (edits, count) => {
        const batch = Buffer.from(base);
        for (const [at, byte] of edits) batch[at] = byte;
        batch.writeInt32BE(count, 53);
        batch.writeInt32BE(Math.max(count - 1, 3), 19);
        batch.writeUInt32BE(crc32c(batch, 8, batch.length), 4);
        if (checkBatch(batch, 0, batch.length, 1 << 20) !== 'ok') return;
        const out: LogRecord[] = [];
        try {
          decodeBatchRecords(batch, 0, 0, out);
        } catch (error) {
          assert.ok(isEngineError(error, 'CORRUPT_BATCH'), `unexpected ${String(error)}`);
          corrupt++;
        }
      },
    ),
    { numRuns: 3000 },
  );
  assert.ok(corrupt > 100, `only ${corrupt} corrupt decodes exercised`);
});
