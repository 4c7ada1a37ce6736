import { EngineError } from '../model/index.ts';
import { EventRandom } from './event-random.ts';
import { type NexmarkConfig, nexmarkConfig } from './nexmark-config.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './nexmark-event.ts';

const FIRST_PERSON_ID = 1000;
const FIRST_AUCTION_ID = 1000;
const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;
/** Ids a random bidder/seller or auction may lead the newest generated one by. */
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
/** Hot sellers, bidders and auctions: the first (bidders: second) of each block of this many ids. */
const HOT_BLOCK = 100;
/** Event number of a generator's first event (as the reference's sources use). */
const FIRST_EVENT_NUMBER = 1;
const CHANNELS = 10_000;
const EXTRA_SOURCE_LENGTH = 1 << 20;

const FIRST_NAMES = [
  'Peter',
  'Paul',
  'Luke',
  'John',
  'Saul',
  'Vicky',
  'Kate',
  'Julie',
  'Sarah',
  'Deiter',
  'Walter',
];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const CITIES = [
  'Phoenix',
  'Los Angeles',
  'San Francisco',
  'Boise',
  'Portland',
  'Bend',
  'Redmond',
  'Seattle',
  'Kent',
  'Cheyenne',
];
const STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
/** '0000'...'9999': credit card groups without formatting per person. */
const DIGITS4 = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));
const LN10_TIMES_6 = 6 * Math.LN10;

/** Java's Math.abs(Integer.reverse(k)): bit-reversed 32-bit int, whose abs overflows at -2^31 as Java's does. */
function reversedChannelId(k: number): number {
  let v = k >>> 0;
  let r = 0;
  for (let i = 0; i < 32; i++) {
    r = (r << 1) | (v & 1);
    v >>>= 1;
  }
  return r === -2147483648 ? r : Math.abs(r);
}

/** Events split `split` generates: an equal share, the last split taking the remainder (Infinity: unbounded). */
export function splitEvents(config: NexmarkConfig, split: number): number {
  if (config.events === 0) return Number.POSITIVE_INFINITY;
  const perSplit = Math.floor(config.events / config.splits);
  return split === config.splits - 1 ? config.events - perSplit * (config.splits - 1) : perSplit;
}

/**
 * Generates the Nexmark event stream (NEXMARK.md §1.2, after the reference implementation's
 * NexmarkGenerator): person : auction : bid interleaved 1 : 3 : 46 by event id, ids derived from the
 * event id (with the "+10" leads that let a bid name an auction generated a little later), hot sellers,
 * bidders, auctions and channels, log-uniform prices, padded `extra` strings and event times that follow
 * `rate`. Split `k` of `splits` has its own id space on the shared timeline, so the splits together
 * produce `rate` events per event-time second. Each event's random choices are seeded by (seed, event
 * id), not drawn from a running sequence as the reference does: any event can be generated alone
 * (`eventAt`), so a restarted generator resumes exactly. Not thread-safe; cheap to construct per split.
 */
export class NexmarkGenerator {
  readonly config: NexmarkConfig;
  readonly split: number;
  /** Events this split generates (Infinity when unbounded). */
  readonly maxEvents: number;
  readonly #firstEventId: number;
  readonly #interEventDelayUs: number;
  readonly #total: number;
  readonly #random = new EventRandom();
  readonly #extraSource: string;
  readonly #channelNames: string[] = [];
  readonly #channelUrls: string[] = [];
  readonly #hotUrls: string[] = [];
  /** Scratch for building random strings (the longest is a 99-character description). */
  readonly #chars = Buffer.allocUnsafe(128);
  #count = 0;

  constructor(options: Partial<NexmarkConfig> = {}, split = 0) {
    const config = nexmarkConfig(options);
    if (!Number.isInteger(split) || split < 0 || split >= config.splits)
      throw new EngineError(
        'INVALID_ARGUMENT',
        `nexmark: split must be in [0, ${config.splits}), got ${split}`,
      );
    this.config = config;
    this.split = split;
    const perSplit = Math.floor(config.events / config.splits);
    this.maxEvents = splitEvents(config, split);
    // Unbounded splits still get disjoint id spaces: 2^40 ids each.
    this.#firstEventId = 1 + split * (config.events === 0 ? 2 ** 40 : perSplit);
    this.#interEventDelayUs = (1_000_000 / config.rate) * config.splits;
    this.#total = config.personProportion + config.auctionProportion + config.bidProportion;

    // Per-generator tables, seeded by the seed alone (event ids are >= 1, so id 0 is free for them).
    const random = this.#random;
    random.reset(config.seed, 0);
    const chars = Buffer.allocUnsafe(EXTRA_SOURCE_LENGTH);
    for (let i = 0; i < chars.length; i++) chars[i] = 97 + random.nextInt(26);
    this.#extraSource = chars.toString('latin1');
    for (let i = 0; i < HOT_CHANNELS.length; i++) this.#hotUrls.push(this.#baseUrl());
    for (let k = 0; k < CHANNELS; k++) {
      this.#channelNames.push(`channel-${k}`);
      const url = this.#baseUrl();
      this.#channelUrls.push(random.nextInt(10) > 0 ? `${url}&channel_id=${reversedChannelId(k)}` : url);
    }
  }

  /** Events generated so far (the position to resume from). */
  get count(): number {
    return this.#count;
  }

  hasNext(): boolean {
    return this.#count < this.maxEvents;
  }

  /** Continues from `count` events (as after generating that many). */
  seek(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0 || count > this.maxEvents)
      throw new EngineError(
        'INVALID_ARGUMENT',
        `nexmark: cannot seek to ${count} of ${this.maxEvents} events`,
      );
    this.#count = count;
  }

  /** The next event; INVALID_ARGUMENT past `maxEvents`. */
  next(): NexmarkEvent {
    if (this.#count >= this.maxEvents)
      throw new EngineError('INVALID_ARGUMENT', `nexmark: all ${this.maxEvents} events were generated`);
    return this.eventAt(this.#count++);
  }

  /** Event time of this split's event `count`, epoch ms (also the generator's watermark: no disorder). */
  timestampOf(count: number): number {
    return this.#timestamp(FIRST_EVENT_NUMBER + count);
  }

  /** This split's event `count` (pure: the same event every time). */
  eventAt(count: number): NexmarkEvent {
    const eventNumber = FIRST_EVENT_NUMBER + count;
    const eventId = this.#firstEventId + eventNumber;
    const timestamp = this.#timestamp(eventNumber);
    this.#random.reset(this.config.seed, eventId);
    const rem = eventId % this.#total;
    const { personProportion, auctionProportion } = this.config;
    if (rem < personProportion) return this.#person(eventId, timestamp);
    if (rem < personProportion + auctionProportion) return this.#auction(eventId, eventNumber, timestamp);
    return this.#bid(eventId, timestamp);
  }

  #timestamp(eventNumber: number): number {
    return this.config.baseTime + Math.floor(Math.floor(eventNumber * this.#interEventDelayUs) / 1000);
  }

  #person(eventId: number, timestamp: number): Person {
    const random = this.#random;
    const name = `${FIRST_NAMES[random.nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[random.nextInt(LAST_NAMES.length)]}`;
    const emailAddress = `${this.#string(7, 32)}@${this.#string(5, 32)}.com`;
    const creditCard = `${this.#digits4()} ${this.#digits4()} ${this.#digits4()} ${this.#digits4()}`;
    const city = CITIES[random.nextInt(CITIES.length)]!;
    const state = STATES[random.nextInt(STATES.length)]!;
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    return {
      type: 'person',
      id: this.#lastBase0PersonId(eventId) + FIRST_PERSON_ID,
      name,
      emailAddress,
      creditCard,
      city,
      state,
      dateTime: timestamp,
      extra: this.#extra(size, this.config.avgPersonBytes),
    };
  }

  #auction(eventId: number, eventNumber: number, timestamp: number): Auction {
    const random = this.#random;
    const { config } = this;
    const seller =
      random.nextInt(config.hotSellersRatio) > 0
        ? Math.floor(this.#lastBase0PersonId(eventId) / HOT_BLOCK) * HOT_BLOCK
        : this.#nextBase0PersonId(eventId);
    const category = FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES);
    const initialBid = this.#price();
    // Mean auction length: the event time it takes to generate numInFlightAuctions more auctions.
    const eventsForAuctions = Math.floor(
      (config.numInFlightAuctions * this.#total) / config.auctionProportion,
    );
    const horizon = this.#timestamp(eventNumber + eventsForAuctions) - timestamp;
    const expires = timestamp + 1 + random.nextLong(Math.max(horizon * 2, 1));
    const itemName = this.#string(20, 32);
    const description = this.#string(100, 32);
    const reserve = initialBid + this.#price();
    const size = 8 + itemName.length + description.length + 40;
    return {
      type: 'auction',
      id: this.#lastBase0AuctionId(eventId) + FIRST_AUCTION_ID,
      itemName,
      description,
      initialBid,
      reserve,
      dateTime: timestamp,
      expires,
      seller: seller + FIRST_PERSON_ID,
      category,
      extra: this.#extra(size, config.avgAuctionBytes),
    };
  }

  #bid(eventId: number, timestamp: number): Bid {
    const random = this.#random;
    const { config } = this;
    const auction =
      random.nextInt(config.hotAuctionRatio) > 0
        ? Math.floor(this.#lastBase0AuctionId(eventId) / HOT_BLOCK) * HOT_BLOCK
        : this.#nextBase0AuctionId(eventId);
    const bidder =
      random.nextInt(config.hotBiddersRatio) > 0
        ? Math.floor(this.#lastBase0PersonId(eventId) / HOT_BLOCK) * HOT_BLOCK + 1
        : this.#nextBase0PersonId(eventId);
    const price = this.#price();
    let channel: string;
    let url: string;
    if (random.nextInt(config.hotChannelsRatio) > 0) {
      const hot = random.nextInt(HOT_CHANNELS.length);
      channel = HOT_CHANNELS[hot]!;
      url = this.#hotUrls[hot]!;
    } else {
      const k = random.nextInt(CHANNELS);
      channel = this.#channelNames[k]!;
      url = this.#channelUrls[k]!;
    }
    return {
      type: 'bid',
      auction: auction + FIRST_AUCTION_ID,
      // The reference adds FIRST_PERSON_ID twice to bidders (NEXMARK.md's "bidder-id quirk"), kept
      // so that joins on bidder match as they do there.
      bidder: bidder + FIRST_PERSON_ID + FIRST_PERSON_ID,
      price,
      channel,
      url,
      dateTime: timestamp,
      extra: this.#extra(32, config.avgBidBytes),
    };
  }

  #lastBase0PersonId(eventId: number): number {
    const epoch = Math.floor(eventId / this.#total);
    const offset = eventId % this.#total;
    const pp = this.config.personProportion;
    return epoch * pp + Math.min(offset, pp - 1);
  }

  #lastBase0AuctionId(eventId: number): number {
    let epoch = Math.floor(eventId / this.#total);
    let offset = eventId % this.#total;
    const { personProportion: pp, auctionProportion: ap } = this.config;
    if (offset < pp) {
      // A person's slot: the last auction of the previous epoch.
      epoch--;
      offset = ap - 1;
    } else if (offset >= pp + ap) {
      // A bid's slot: the last auction of this epoch.
      offset = ap - 1;
    } else {
      offset -= pp;
    }
    return epoch * ap + offset;
  }

  #nextBase0PersonId(eventId: number): number {
    const numPeople = this.#lastBase0PersonId(eventId) + 1;
    const active = Math.min(numPeople, this.config.numActivePeople);
    return numPeople - active + this.#random.nextLong(active + PERSON_ID_LEAD);
  }

  #nextBase0AuctionId(eventId: number): number {
    const last = this.#lastBase0AuctionId(eventId);
    const min = Math.max(last - this.config.numInFlightAuctions, 0);
    return min + this.#random.nextLong(last - min + 1 + AUCTION_ID_LEAD);
  }

  /** Cents, log-uniform in [100, 10^8]: round(10^(6u) * 100), as exp(6u ln 10) (cheaper than a power). */
  #price(): number {
    return Math.round(Math.exp(this.#random.nextDouble() * LN10_TIMES_6) * 100);
  }

  /** 3 to max - 1 characters, each `special` with P = 1/13 else a-z, trimmed of spaces. */
  #string(max: number, special: number): string {
    const random = this.#random;
    const chars = this.#chars;
    const length = 3 + random.nextInt(max - 3);
    for (let i = 0; i < length; i++) chars[i] = random.nextInt(13) === 0 ? special : 97 + random.nextInt(26);
    let start = 0;
    let end = length;
    if (special === 32) {
      while (start < end && chars[start] === 32) start++;
      while (end > start && chars[end - 1] === 32) end--;
    }
    return chars.toString('latin1', start, end);
  }

  #digits4(): string {
    return DIGITS4[this.#random.nextInt(10_000)]!;
  }

  /** https://www.nexmark.com/<s5>/<s5>/<s5>/item.htm?query=1, each <s5> with '_' as its special char. */
  #baseUrl(): string {
    return `https://www.nexmark.com/${this.#string(5, 95)}/${this.#string(5, 95)}/${this.#string(5, 95)}/item.htm?query=1`;
  }

  /** Padding so that `currentSize` plus its length averages `averageSize` (+-20%). */
  #extra(currentSize: number, averageSize: number): string {
    if (currentSize > averageSize) return '';
    const wanted = averageSize - currentSize;
    const delta = Math.round(wanted * 0.2);
    const length = wanted - delta + (delta === 0 ? 0 : this.#random.nextInt(2 * delta));
    const at = this.#random.nextInt(EXTRA_SOURCE_LENGTH - length);
    return this.#extraSource.substring(at, at + length);
  }
}
