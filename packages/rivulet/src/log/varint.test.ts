import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readZigzag, writeZigzag, zigzagSize } from './varint.ts';

test('zig-zag varints round-trip every integer with |v| < 2^52 with the size they claim', () => {
  fc.assert(
    fc.property(fc.oneof(fc.integer(), fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 })), (value) => {
      const buf = Buffer.alloc(10);
      const end = writeZigzag(buf, 0, value);
      assert.equal(end, zigzagSize(value));
      const cursor = { pos: 0 };
      assert.equal(readZigzag(buf, cursor, end), value);
      assert.equal(cursor.pos, end);
    }),
    { numRuns: 2000 },
  );
});

test('Kafka encodings of small values', () => {
  const cases: Array<[number, number[]]> = [
    [0, [0]],
    [-1, [1]],
    [1, [2]],
    [63, [126]],
    [-64, [127]],
    [64, [128, 1]],
    [300, [216, 4]],
  ];
  for (const [value, bytes] of cases) {
    const buf = Buffer.alloc(10);
    const end = writeZigzag(buf, 0, value);
    assert.deepEqual([...buf.subarray(0, end)], bytes, String(value));
  }
});

test('a truncated varint reads as NaN instead of running past the end', () => {
  const buf = Buffer.from([0x80, 0x80]);
  assert.ok(Number.isNaN(readZigzag(buf, { pos: 0 }, 2)));
});
