import fc from 'fast-check';

/**
 * State keys as latin1 strings over a small byte alphabet around the signed/unsigned boundary
 * (0x00 0x01 'a' 0x7f 0x80 0xff), up to 3 bytes, empty included: prefixes and order corner cases are
 * common.
 */
export const keyArb = fc
  .array(fc.constantFrom(0x00, 0x01, 0x61, 0x7f, 0x80, 0xff), { maxLength: 3 })
  .map((codes) => String.fromCharCode(...codes));

/** A dozen keys with those corner cases, so random operations keep hitting the same keys. */
const keyPool = [
  '',
  '\x00',
  '\x00\x00',
  '\x01',
  'a',
  'a\x00',
  'a\x7f',
  'a\x80',
  'a\xff',
  '\x7f',
  '\x80',
  '\xff',
  '\xff\xff',
];

/** Mostly keys from the pool (collisions, shadowing), sometimes any key. */
export const pooledKeyArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...keyPool) },
  { weight: 1, arbitrary: keyArb },
);
