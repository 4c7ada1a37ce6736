/**
 * Event and processing times in state keys: 8 bytes big-endian, so byte order is time order. Whole
 * numbers in [0, 2^53); no BigInt (these run per record). Callers clamp out-of-range times.
 */
export function writeTime(bytes: Uint8Array, time: number, offset: number): void {
  const high = Math.floor(time / 4294967296);
  const low = time >>> 0;
  bytes[offset] = high >>> 24;
  bytes[offset + 1] = high >>> 16;
  bytes[offset + 2] = high >>> 8;
  bytes[offset + 3] = high;
  bytes[offset + 4] = low >>> 24;
  bytes[offset + 5] = low >>> 16;
  bytes[offset + 6] = low >>> 8;
  bytes[offset + 7] = low;
}

/** The time `writeTime` wrote at `offset`. */
export function readTime(bytes: Uint8Array, offset: number): number {
  const high =
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>>
    0;
  const low =
    ((bytes[offset + 4]! << 24) |
      (bytes[offset + 5]! << 16) |
      (bytes[offset + 6]! << 8) |
      bytes[offset + 7]!) >>>
    0;
  return high * 4294967296 + low;
}
