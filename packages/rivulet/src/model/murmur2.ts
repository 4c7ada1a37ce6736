/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`, seed 0x9747b28c), so a key lands on the same
 * partition here as it would in Kafka with the default partitioner.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[length4 + 2]! << 16;
  if (tail >= 2) h ^= data[length4 + 1]! << 8;
  if (tail >= 1) {
    h ^= data[length4]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's default partitioner for keyed records: `toPositive(murmur2(key)) % partitions`. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
