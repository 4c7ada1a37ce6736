import { type EncodableRecord, type Log, partitionForKey } from '../../packages/rivulet/src/index.ts';
import { Xorshift32 } from '../xorshift32.ts';
import { PARTITIONS, productKey, productOf } from './product-fixtures.ts';

/** The stream topic of the stream-table cases. */
export const ORDERS_TOPIC = 'orders';

/** An order of the joins suite: about 50 bytes of JSON, keyed by `product`. */
export interface JoinOrder {
  id: number;
  product: string;
  qty: number;
}

/** Percent of orders whose product is not in the table (so inner and left joins differ). */
export const MISSING_PERCENT = 10;

/** What an inner join of the filled orders with the products table must emit. */
export interface ExpectedJoin {
  /** Orders whose product is in the table: one join result each. */
  results: number;
  /** The sum of qty x price (cents) over those orders. */
  amountSum: number;
}

/**
 * Deterministic orders over `products` products (uniform), qty 1..10; MISSING_PERCENT of them reference
 * a product index in [products, 2 x products), which the table does not hold. The same seed gives the
 * same orders, so the engine and the floor see identical input.
 */
export class JoinOrderGenerator {
  readonly #random: Xorshift32;
  readonly #products: number;
  #next = 0;

  constructor(products: number, seed = 42) {
    this.#products = products;
    this.#random = new Xorshift32(seed);
  }

  /** The next order and the index of its product (>= products when it is not in the table). */
  next(): { order: JoinOrder; productIndex: number } {
    const pick = this.#random.next() % this.#products;
    const missing = this.#random.next() % 100 < MISSING_PERCENT;
    const productIndex = missing ? this.#products + pick : pick;
    const order = {
      id: this.#next++,
      product: productKey(productIndex),
      qty: 1 + (this.#random.next() % 10),
    };
    return { order, productIndex };
  }
}

/**
 * Creates ORDERS_TOPIC with PARTITIONS partitions (durability none, written before timing) and appends
 * `count` orders keyed by product, partitioned by murmur2 of the key (as the products are, so the join
 * needs no repartition), in chunks. Returns what an inner join with the first `products` products emits.
 */
export async function fillJoinOrders(log: Log, count: number, products: number): Promise<ExpectedJoin> {
  await log.createTopic(ORDERS_TOPIC, { partitions: PARTITIONS, durability: 'none' });
  const generator = new JoinOrderGenerator(products);
  const expected: ExpectedJoin = { results: 0, amountSum: 0 };
  const chunk = 10_000;
  const now = Date.now();
  for (let done = 0; done < count; done += chunk) {
    const byPartition = Array.from({ length: PARTITIONS }, () => [] as EncodableRecord[]);
    for (let i = done; i < Math.min(count, done + chunk); i++) {
      const { order, productIndex } = generator.next();
      if (productIndex < products) {
        expected.results++;
        expected.amountSum += order.qty * productOf(productIndex).price;
      }
      const key = Buffer.from(order.product);
      const value = Buffer.from(JSON.stringify(order));
      byPartition[partitionForKey(key, PARTITIONS)]!.push({ key, value, headers: undefined, timestamp: now });
    }
    await Promise.all(byPartition.map((records, p) => log.append(ORDERS_TOPIC, p, records)));
  }
  return expected;
}
