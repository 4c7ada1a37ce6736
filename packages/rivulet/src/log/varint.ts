/**
 * Zig-zag base-128 varints as in Kafka's record format. Values are JS numbers, exact for |value| < 2^52
 * (the zig-zag doubling must stay below 2^53), which covers lengths, offset and timestamp deltas. `cursor.pos` is the shared read position so decoding
 * allocates nothing.
 */
export interface Cursor {
  pos: number;
}

export function zigzagSize(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

/** Writes `value` at `pos`; returns the position after it. */
export function writeZigzag(buf: Uint8Array, pos: number, value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  if (v < 0x80000000) {
    v = v >>> 0;
    while (v >= 128) {
      buf[pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[pos++] = v;
    return pos;
  }
  while (v >= 128) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** Reads a zig-zag varint at `cursor.pos` and advances it. Returns NaN past `end` or after 8 bytes. */
export function readZigzag(buf: Uint8Array, cursor: Cursor, end: number): number {
  let pos = cursor.pos;
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= end) {
      cursor.pos = pos;
      return Number.NaN;
    }
    const byte = buf[pos++]!;
    result += (byte & 127) * multiplier;
    if (byte < 128) {
      cursor.pos = pos;
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    multiplier *= 128;
  }
  cursor.pos = pos;
  return Number.NaN;
}
