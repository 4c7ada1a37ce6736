import { createRequire } from 'node:module';

/**
 * CRC32C (Castagnoli), the checksum of every record batch. Uses the SSE4.2-backed `@node-rs/crc32` when it
 * loads, else the table-driven implementation below (also the reference the tests compare against).
 */
const table = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  table[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = table[n]!;
  for (let s = 1; s < 8; s++) {
    c = table[c & 0xff]! ^ (c >>> 8);
    table[s * 256 + n] = c;
  }
}

/** Slicing-by-8 CRC32C of `data[start, end)`, continuing from `initial`. */
export function crc32cPortable(data: Uint8Array, start = 0, end = data.length, initial = 0): number {
  let crc = ~initial;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      table[7 * 256 + (a & 0xff)]! ^
      table[6 * 256 + ((a >>> 8) & 0xff)]! ^
      table[5 * 256 + ((a >>> 16) & 0xff)]! ^
      table[4 * 256 + (a >>> 24)]! ^
      table[3 * 256 + data[i + 4]!]! ^
      table[2 * 256 + data[i + 5]!]! ^
      table[256 + data[i + 6]!]! ^
      table[data[i + 7]!]!;
  }
  for (; i < end; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

type NativeCrc = (input: Buffer, initial?: number) => number;
let native: NativeCrc | undefined;
try {
  native = (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: NativeCrc }).crc32c;
} catch {
  native = undefined;
}

/** CRC32C of `data[start, end)`. */
export function crc32c(data: Buffer, start = 0, end = data.length): number {
  if (native !== undefined && end - start >= 64) return native(data.subarray(start, end)) >>> 0;
  return crc32cPortable(data, start, end);
}

export const crc32cIsNative = native !== undefined;
