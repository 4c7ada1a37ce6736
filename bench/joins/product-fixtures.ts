import { type EncodableRecord, type Log, partitionForKey } from '../../packages/rivulet/src/index.ts';
import { PARTITIONS } from '../runtime/order-fixtures.ts';

export { PARTITIONS };

/** The table topic of the stream-table cases. */
export const PRODUCTS_TOPIC = 'products';

/** A row of the products table: about 25 bytes of JSON, keyed by `productKey(i)`. */
export interface Product {
  /** Price in cents (100..99,999), so sums of amounts stay exact integers. */
  price: number;
  stock: number;
}

/** The key of product `i`: 'product-' and seven digits (ids up to 9,999,999). */
export function productKey(i: number): string {
  return `product-${String(i).padStart(7, '0')}`;
}

/** A 32-bit hash of (i, salt): products are a pure function of their index, no table kept in memory. */
function mix(i: number, salt: number): number {
  let x = Math.imul(i ^ salt, 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca77);
  x ^= x >>> 13;
  return x >>> 0;
}

/** The row of product `i` (deterministic, so the order fill can compute the expected join without a Map). */
export function productOf(i: number): Product {
  return { price: 100 + (mix(i, 0x5eed) % 99_900), stock: mix(i, 0x57c0) % 1000 };
}

/**
 * Creates PRODUCTS_TOPIC with PARTITIONS partitions (durability none: it is input, written before
 * timing) and appends products 0..count-1, one record each, keyed by `productKey(i)` and partitioned by
 * murmur2 of the key like a producer would, in chunks so the fill holds little memory. Returns the
 * value bytes written.
 */
export async function fillProducts(log: Log, count: number): Promise<number> {
  await log.createTopic(PRODUCTS_TOPIC, { partitions: PARTITIONS, durability: 'none' });
  const chunk = 10_000;
  const now = Date.now();
  let valueBytes = 0;
  for (let done = 0; done < count; done += chunk) {
    const byPartition = Array.from({ length: PARTITIONS }, () => [] as EncodableRecord[]);
    for (let i = done; i < Math.min(count, done + chunk); i++) {
      const key = Buffer.from(productKey(i));
      const value = Buffer.from(JSON.stringify(productOf(i)));
      valueBytes += value.length;
      byPartition[partitionForKey(key, PARTITIONS)]!.push({ key, value, headers: undefined, timestamp: now });
    }
    await Promise.all(byPartition.map((records, p) => log.append(PRODUCTS_TOPIC, p, records)));
  }
  return valueBytes;
}
