import { type Log, partitionForKey } from '../../packages/rivulet/src/index.ts';
import { Xorshift32 } from '../xorshift32.ts';

/** The input record of every runtime case: about 100 bytes of JSON, keyed by `user`. */
export interface Order {
  id: number;
  user: string;
  amount: number;
  currency: string;
  channel: string;
  /** When the record was appended (ms since the epoch, fractional); the latency cases measure from it. */
  ts: number;
}

/** What the stateless pipeline emits for an order it keeps. */
export interface Payment {
  id: number;
  user: string;
  cents: number;
  ts: number;
}

/** The stateless pipeline's filter threshold: about half the orders pass. */
export const AMOUNT_THRESHOLD = 500;

/** The stateless pipeline's predicate and projection, shared by the engine, the floor and RxJS. */
export const keepOrder = (o: Order): boolean => o.amount > AMOUNT_THRESHOLD;
export const toPayment = (o: Order): Payment => ({ id: o.id, user: o.user, cents: o.amount * 100, ts: o.ts });

/** Partitions of the source and output topics (two, so a parallelism-2 run could use the same data). */
export const PARTITIONS = 2;

/** Wall-clock milliseconds with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Deterministic orders: `count` records over `keys` users (uniform), amounts 0..999. The same seed gives
 * the same records, so the engine, the floor and RxJS see identical input.
 */
export class OrderGenerator {
  readonly #random: Xorshift32;
  #next = 0;
  readonly #keys: number;

  constructor(keys: number, seed = 42) {
    this.#keys = keys;
    this.#random = new Xorshift32(seed);
  }

  next(ts: number): Order {
    const user = `user-${String(this.#random.next() % this.#keys).padStart(6, '0')}`;
    return {
      id: this.#next++,
      user,
      amount: this.#random.next() % 1000,
      currency: 'EUR',
      channel: this.#random.next() % 2 === 0 ? 'web' : 'store',
      ts,
    };
  }
}

/** What the fill wrote: how many orders, how many pass the filter, how many distinct users. */
export interface FillResult {
  records: number;
  kept: number;
  distinctUsers: number;
  valueBytes: number;
}

/**
 * Creates `topic` with PARTITIONS partitions (durability none: it is input, written before timing) and
 * appends `count` orders, keyed by user and partitioned by murmur2 of the key like a producer would, in
 * chunks so the fill holds little memory.
 */
export async function fillOrders(log: Log, topic: string, count: number, keys: number): Promise<FillResult> {
  await log.createTopic(topic, { partitions: PARTITIONS, durability: 'none' });
  const generator = new OrderGenerator(keys);
  const users = new Set<string>();
  let kept = 0;
  let valueBytes = 0;
  const chunk = 10_000;
  for (let done = 0; done < count; done += chunk) {
    const byPartition = Array.from(
      { length: PARTITIONS },
      () =>
        [] as Array<{
          key: Buffer;
          value: Buffer;
          headers: undefined;
          timestamp: number;
        }>,
    );
    const now = Date.now();
    for (let i = done; i < Math.min(count, done + chunk); i++) {
      const order = generator.next(now);
      users.add(order.user);
      if (keepOrder(order)) kept++;
      const key = Buffer.from(order.user);
      const value = Buffer.from(JSON.stringify(order));
      valueBytes += value.length;
      byPartition[partitionForKey(key, PARTITIONS)]!.push({ key, value, headers: undefined, timestamp: now });
    }
    await Promise.all(byPartition.map((records, p) => log.append(topic, p, records)));
  }
  return { records: count, kept, distinctUsers: users.size, valueBytes };
}

/** The orders as decoded objects (the RxJS peer's input): the same sequence `fillOrders` writes. */
export function generateOrders(count: number, keys: number): Order[] {
  const generator = new OrderGenerator(keys);
  const now = Date.now();
  const orders: Order[] = new Array(count);
  for (let i = 0; i < count; i++) orders[i] = generator.next(now);
  return orders;
}
