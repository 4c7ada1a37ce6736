import { type Log, partitionForKey } from '../../packages/rivulet/src/index.ts';
import { PARTITIONS } from '../runtime/order-fixtures.ts';
import { Xorshift32 } from '../xorshift32.ts';

/** The input record of every windows case: about 55 bytes of JSON, keyed by `user`. */
export interface Click {
  user: string;
  amount: number;
  /** Event time, ms since the epoch (a whole number). */
  ts: number;
}

export { PARTITIONS };

/** Event time of the first record (2023-11-14T22:13:20Z): far from 0, so no window starts below 0. */
export const START_TS = 1_700_000_000_000;
/**
 * Records per second of event time by default: record i is due at START_TS + i * 1000 / rate ms (before
 * jitter), so at 1000 at START_TS + i ms. The generator, the fill and the flush time take another rate.
 */
export const EVENT_RATE = 1000;
/** The watermark bound of every case: the watermark is the largest event time seen minus this. */
export const BOUND_MS = 5000;
/**
 * Records come up to this much before their due time (uniform 0..JITTER_MS), so they are out of order
 * but never beyond the bound: no record is late, and every case must see the same windows.
 */
export const JITTER_MS = BOUND_MS - 1;
/** The users of the flush records start with this (one per partition, after the data); their windows never close. */
export const FLUSH_USER = '~flush';

/** Whether a result belongs to a flush record's user. */
export const isFlushUser = (user: string): boolean => user.startsWith(FLUSH_USER);

/** A flush user whose key hashes (murmur2, like every producer) to `partition`. */
function flushUser(partition: number): string {
  for (let i = 0; ; i++) {
    const user = `${FLUSH_USER}-${i}`;
    if (partitionForKey(Buffer.from(user), PARTITIONS) === partition) return user;
  }
}
/** Event time of the flush records: a day after the last record, past every window's end + bound. */
export const flushTs = (records: number, rate = EVENT_RATE): number =>
  START_TS + Math.ceil((records * 1000) / rate) + 86_400_000;

/**
 * Deterministic clicks: `users` users (uniform), amounts 0..999, event time advancing at `rate` records
 * per second (default EVENT_RATE) with up to JITTER_MS of out-of-order jitter. The same seed and rate
 * give the same records, so the engine, the floor and RxJS see identical input.
 */
export class ClickGenerator {
  readonly #random: Xorshift32;
  #next = 0;
  readonly #users: number;
  readonly #rate: number;

  constructor(users: number, seed = 42, rate = EVENT_RATE) {
    this.#users = users;
    this.#random = new Xorshift32(seed);
    this.#rate = rate;
  }

  next(): Click {
    const due = START_TS + Math.floor((this.#next++ * 1000) / this.#rate);
    const user = `user-${String(this.#random.next() % this.#users).padStart(6, '0')}`;
    return { user, amount: this.#random.next() % 1000, ts: due - (this.#random.next() % (JITTER_MS + 1)) };
  }
}

/** What the fill wrote: data records (flush records not included), distinct users, value bytes. */
export interface ClickFill {
  records: number;
  distinctUsers: number;
  valueBytes: number;
}

interface RawRecord {
  key: Buffer;
  value: Buffer;
  headers: undefined;
  timestamp: number;
}

/** The flush records, one per partition (partition p gets the p-th), after the data. */
export function flushClicks(records: number, rate = EVENT_RATE): Click[] {
  return Array.from({ length: PARTITIONS }, (_, p) => ({
    user: flushUser(p),
    amount: 0,
    ts: flushTs(records, rate),
  }));
}

/**
 * Creates `topic` with PARTITIONS partitions (durability none: it is input, written before timing) and
 * appends `count` clicks keyed by user, partitioned by murmur2 of the key like a producer would, in
 * chunks so the fill holds little memory; then one flush record into each partition (each with a user
 * that hashes there), which moves every partition's watermark past every window's end.
 */
export async function fillClicks(
  log: Log,
  topic: string,
  count: number,
  users: number,
  rate = EVENT_RATE,
): Promise<ClickFill> {
  await log.createTopic(topic, { partitions: PARTITIONS, durability: 'none' });
  const generator = new ClickGenerator(users, 42, rate);
  const seen = new Set<string>();
  let valueBytes = 0;
  const chunk = 10_000;
  const now = Date.now();
  for (let done = 0; done < count; done += chunk) {
    const byPartition = Array.from({ length: PARTITIONS }, () => [] as RawRecord[]);
    for (let i = done; i < Math.min(count, done + chunk); i++) {
      const click = generator.next();
      seen.add(click.user);
      const key = Buffer.from(click.user);
      const value = Buffer.from(JSON.stringify(click));
      valueBytes += value.length;
      byPartition[partitionForKey(key, PARTITIONS)]!.push({ key, value, headers: undefined, timestamp: now });
    }
    await Promise.all(byPartition.map((records, p) => log.append(topic, p, records)));
  }
  const flush = flushClicks(count, rate);
  for (let p = 0; p < PARTITIONS; p++) {
    const click = flush[p]!;
    await log.append(topic, p, [
      {
        key: Buffer.from(click.user),
        value: Buffer.from(JSON.stringify(click)),
        headers: undefined,
        timestamp: now,
      },
    ]);
  }
  return { records: count, distinctUsers: seen.size, valueBytes };
}

/**
 * The clicks as decoded objects (the RxJS peer's input): the same sequence `fillClicks` writes, in
 * generation order (both partitions interleaved), then the flush records.
 */
export function generateClicks(count: number, users: number, rate = EVENT_RATE): Click[] {
  const generator = new ClickGenerator(users, 42, rate);
  const clicks: Click[] = new Array(count);
  for (let i = 0; i < count; i++) clicks[i] = generator.next();
  return clicks.concat(flushClicks(count, rate));
}
