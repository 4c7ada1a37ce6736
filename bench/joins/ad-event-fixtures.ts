import { type EncodableRecord, type Log, partitionForKey } from '../../packages/rivulet/src/index.ts';
import { Xorshift32 } from '../xorshift32.ts';
import { PARTITIONS } from './product-fixtures.ts';

/** The left input of the stream-stream cases: ad impressions. */
export const IMPRESSIONS_TOPIC = 'impressions';
/** The right input of the stream-stream cases: ad clicks. */
export const CLICKS_TOPIC = 'clicks';

/** An impression or a click: about 50 bytes of JSON, keyed by `ad`. */
export interface AdEvent {
  /** The record's index in its topic (0, 1, ...): with the topic, it names the record. */
  id: number;
  ad: string;
  /** Event time, ms since the epoch (a whole number). */
  ts: number;
}

/** Event time of the first record of both topics (2023-11-14T22:13:20Z). */
export const START_TS = 1_700_000_000_000;
/**
 * Records per second of event time, in each topic: record i of a topic is due at START_TS + i x 10 ms
 * (before jitter). A longer run (more records) covers a longer span of event time at the same rate; at
 * this rate the default run spans 4x the join's ±5 minutes, so the join state reaches its steady size
 * early in the run: both sides' records of the last 5 minutes + the bound, and of one fetch ahead (a
 * 256 KiB fetch is about 100 s of one partition), 66K records at most (the floor's count).
 */
export const EVENT_RATE = 100;
/** The join's bound: an impression and a click of the same ad join iff their times differ by <= 5 min. */
export const WITHIN_MS = 300_000;
/** The watermark bound of both inputs: the watermark is the largest event time seen minus this. */
export const BOUND_MS = 5000;
/** Records come up to this much before their due time (uniform 0..JITTER_MS): out of order, never late. */
export const JITTER_MS = 2000;

/** Seeds of the two topics' generators (the same seed for both would give both the same keys). */
const SEEDS = { [IMPRESSIONS_TOPIC]: 42, [CLICKS_TOPIC]: 4242 } as const;

export type AdTopic = keyof typeof SEEDS;

/** The key of ad `i`: 'ad-' and six digits. */
export function adKey(i: number): string {
  return `ad-${String(i).padStart(6, '0')}`;
}

/**
 * Deterministic events of one topic: ads uniform over `keys`, event time advancing at EVENT_RATE with up
 * to JITTER_MS of out-of-order jitter. `next()` gives the ad index and the time; `event()` the record.
 */
export class AdEventGenerator {
  readonly #random: Xorshift32;
  readonly #keys: number;
  #next = 0;

  constructor(topic: AdTopic, keys: number) {
    this.#random = new Xorshift32(SEEDS[topic]);
    this.#keys = keys;
  }

  /** The next record's ad index and event time (its id is the number of calls before). */
  next(): { ad: number; ts: number } {
    const due = START_TS + Math.floor((this.#next++ * 1000) / EVENT_RATE);
    const ad = this.#random.next() % this.#keys;
    return { ad, ts: due - (this.#random.next() % (JITTER_MS + 1)) };
  }
}

/** Event time of the flush records: a day after the last due time, past every record's time + within. */
export const flushTs = (recordsPerTopic: number): number =>
  START_TS + Math.ceil((recordsPerTopic * 1000) / EVENT_RATE) + 86_400_000;

/** A flush key of `topic` that hashes (murmur2, like every producer) to `partition`; never an ad's key. */
function flushKey(topic: AdTopic, partition: number): string {
  for (let i = 0; ; i++) {
    const key = `~flush-${topic}-${i}`;
    if (partitionForKey(Buffer.from(key), PARTITIONS) === partition) return key;
  }
}

/**
 * Creates `topic` with PARTITIONS partitions (durability none: input, written before timing) and appends
 * `count` events keyed by ad, partitioned by murmur2 of the key like a producer would, in chunks; then one
 * flush record per partition (a key of its own that hashes there, a day later in event time), so that
 * both inputs' watermarks pass every record's time + within. The two topics' flush keys differ, so
 * flush records join nothing.
 */
export async function fillAdEvents(log: Log, topic: AdTopic, count: number, keys: number): Promise<void> {
  await log.createTopic(topic, { partitions: PARTITIONS, durability: 'none' });
  const generator = new AdEventGenerator(topic, keys);
  const chunk = 10_000;
  const now = Date.now();
  const record = (event: AdEvent): EncodableRecord => ({
    key: Buffer.from(event.ad),
    value: Buffer.from(JSON.stringify(event)),
    headers: undefined,
    timestamp: now,
  });
  for (let done = 0; done < count; done += chunk) {
    const byPartition = Array.from({ length: PARTITIONS }, () => [] as EncodableRecord[]);
    for (let id = done; id < Math.min(count, done + chunk); id++) {
      const { ad, ts } = generator.next();
      const r = record({ id, ad: adKey(ad), ts });
      byPartition[partitionForKey(r.key!, PARTITIONS)]!.push(r);
    }
    await Promise.all(byPartition.map((records, p) => log.append(topic, p, records)));
  }
  for (let p = 0; p < PARTITIONS; p++)
    await log.append(topic, p, [record({ id: count + p, ad: flushKey(topic, p), ts: flushTs(count) })]);
}

/** Fills both inputs of a stream-stream case (before timing). */
export async function fillStreamStreamInputs(log: Log, recordsPerTopic: number, keys: number): Promise<void> {
  await fillAdEvents(log, IMPRESSIONS_TOPIC, recordsPerTopic, keys);
  await fillAdEvents(log, CLICKS_TOPIC, recordsPerTopic, keys);
}
