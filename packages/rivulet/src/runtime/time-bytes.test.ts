import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readTime, writeTime } from './time-bytes.ts';

const time = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

test('writeTime/readTime round-trip every time in [0, 2^53) and agree with BigUInt64BE', () => {
  fc.assert(
    fc.property(time, fc.integer({ min: 0, max: 5 }), (t, offset) => {
      const bytes = Buffer.alloc(offset + 8);
      writeTime(bytes, t, offset);
      const reference = Buffer.alloc(8);
      reference.writeBigUInt64BE(BigInt(t));
      assert.deepEqual(bytes.subarray(offset), reference);
      assert.equal(readTime(bytes, offset), t);
    }),
  );
});

test('byte order of written times is time order', () => {
  fc.assert(
    fc.property(time, time, (a, b) => {
      const x = Buffer.alloc(8);
      const y = Buffer.alloc(8);
      writeTime(x, a, 0);
      writeTime(y, b, 0);
      assert.equal(Math.sign(Buffer.compare(x, y)), Math.sign(a - b));
    }),
  );
});
