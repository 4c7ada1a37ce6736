import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { crc32c, crc32cIsNative, crc32cPortable } from './crc32c.ts';

test('CRC32C check value of "123456789" is 0xe3069283 (RFC 3720)', () => {
  assert.equal(crc32cPortable(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
});

test(`native (${crc32cIsNative}) and portable CRC32C agree on random buffers and ranges`, () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 2000 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const buf = Buffer.from(bytes);
      const start = bytes.length === 0 ? 0 : a % bytes.length;
      const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
      assert.equal(crc32c(buf, start, end), crc32cPortable(buf, start, end));
    }),
    { numRuns: 500 },
  );
});
