/**
 * The order of state keys: unsigned lexicographic comparison of the key bytes (memcmp, as LMDB sorts), a
 * shorter key before any longer key it is a prefix of. A key mapped to a latin1 string (one char per
 * byte, 0..255) compares the same way under JavaScript's `<`, so Maps and sorted arrays keyed by
 * `keyString(bytes)` keep this order without a custom comparator.
 */

/** Negative, zero or positive as `a` sorts before, equal to or after `b`. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The latin1 string of `bytes`: a lossless, order-preserving Map key. */
export function keyString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The bytes of a `keyString` (a fresh buffer). */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** The smallest key after `key`: `key` followed by one zero byte (turns an inclusive bound exclusive). */
export function keySuccessor(key: Uint8Array): Buffer {
  const out = Buffer.alloc(key.length + 1);
  out.set(key, 0);
  return out;
}

/**
 * The exclusive upper bound of the keys starting with `prefix`: the prefix with its last byte below 0xff
 * incremented and the rest dropped; undefined when every key from `prefix` on qualifies (all 0xff, or
 * empty).
 */
export function prefixUpperBound(prefix: Uint8Array): Buffer | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const out = Buffer.from(prefix.subarray(0, i + 1));
      out[i] = prefix[i]! + 1;
      return out;
    }
  }
  return undefined;
}
