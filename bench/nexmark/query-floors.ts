/**
 * The floor: each Nexmark query as a hand-written TypeScript loop body over decoded events in memory
 * (no log, no JSON, no framework), one event at a time in stream order, with the streaming semantics
 * of the engine's query: event time with a watermark 4 s behind the newest event, windows and auctions
 * closing when the watermark passes their end, regular joins that keep what they need, processing
 * time for q12. The end of the input closes every window and auction (as a bounded source's end does).
 * Results go to a RowSink. Each floor's result equals the DuckDB oracle's (checked by `--check`).
 *
 * The stateful logic is in small classes so that the RxJS versions can run the same state machines in
 * a `scan` (as the windows suite's RxJS peer does); the method calls are monomorphic and cheap.
 */
import {
  type Auction,
  type Bid,
  NEXMARK_WATERMARK_DELAY_MS,
  type NexmarkEvent,
  type Person,
} from '../../packages/rivulet/src/nexmark/index.ts';
import { rankOf } from '../../packages/rivulet/src/nexmark/queries/rank-counts.ts';
import { utcDay, utcHour, utcMinute } from '../../packages/rivulet/src/nexmark/queries/utc-format.ts';
import { type EventSource, sideInputMap } from './nexmark-events.ts';
import type { Row, RowSink } from './row-sink.ts';

/** One query's running state: fed every event in order, then told the input ended. */
export interface QueryLogic {
  onEvent(e: NexmarkEvent): void;
  finish(): void;
}

export type FloorFactory = (sink: RowSink, clock: () => number) => QueryLogic;

const DELAY = NEXMARK_WATERMARK_DELAY_MS;
const NO_FINISH = (): void => {};

// ---- stateless queries ---------------------------------------------------------------------------

const q0: FloorFactory = (sink) => ({
  onEvent(e) {
    if (e.type !== 'bid') return;
    sink.append({
      auction: e.auction,
      bidder: e.bidder,
      price: e.price,
      dateTime: e.dateTime,
      extra: e.extra,
    });
  },
  finish: NO_FINISH,
});

const q1: FloorFactory = (sink) => ({
  onEvent(e) {
    if (e.type !== 'bid') return;
    sink.append({
      auction: e.auction,
      bidder: e.bidder,
      price: 0.908 * e.price,
      dateTime: e.dateTime,
      extra: e.extra,
    });
  },
  finish: NO_FINISH,
});

const q2: FloorFactory = (sink) => ({
  onEvent(e) {
    if (e.type !== 'bid' || e.auction % 123 !== 0) return;
    sink.append({ auction: e.auction, price: e.price });
  },
  finish: NO_FINISH,
});

const q10: FloorFactory = (sink) => ({
  onEvent(e) {
    if (e.type !== 'bid') return;
    sink.append({
      auction: e.auction,
      bidder: e.bidder,
      price: e.price,
      dateTime: e.dateTime,
      extra: e.extra,
      dt: utcDay(e.dateTime),
      hm: utcMinute(e.dateTime),
    });
  },
  finish: NO_FINISH,
});

const q13: FloorFactory = (sink) => {
  const side = sideInputMap();
  return {
    onEvent(e) {
      if (e.type !== 'bid') return;
      const value = side.get(String(e.auction % 10_000));
      if (value === undefined) return;
      sink.append({ auction: e.auction, bidder: e.bidder, price: e.price, dateTime: e.dateTime, value });
    },
    finish: NO_FINISH,
  };
};

/** Occurrences of character code `c` in `s` (q14's count_char). */
export function countChar(s: string, c: number): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === c) n++;
  return n;
}

export function bidTimeType(time: number): string {
  const hour = utcHour(time);
  return hour >= 8 && hour <= 18 ? 'dayTime' : hour <= 6 || hour >= 20 ? 'nightTime' : 'otherTime';
}

const q14: FloorFactory = (sink) => ({
  onEvent(e) {
    if (e.type !== 'bid') return;
    const price = 0.908 * e.price;
    if (!(price > 1_000_000 && price < 50_000_000)) return;
    sink.append({
      auction: e.auction,
      bidder: e.bidder,
      price,
      bidTimeType: bidTimeType(e.dateTime),
      dateTime: e.dateTime,
      extra: e.extra,
      c_counts: countChar(e.extra, 99),
    });
  },
  finish: NO_FINISH,
});

const HOT_CHANNEL_IDS: Readonly<Record<string, string>> = {
  apple: '0',
  google: '1',
  facebook: '2',
  baidu: '3',
};
const CHANNEL_ID = /(&|^)channel_id=([^&]*)/;

/** q21's channel id of a bid, or undefined when it has none. */
export function channelIdOf(b: Bid): string | undefined {
  return HOT_CHANNEL_IDS[b.channel.toLowerCase()] ?? CHANNEL_ID.exec(b.url)?.[2];
}

const q21: FloorFactory = (sink) => ({
  onEvent(e) {
    if (e.type !== 'bid') return;
    const channelId = channelIdOf(e);
    if (channelId === undefined) return;
    sink.append({
      auction: e.auction,
      bidder: e.bidder,
      price: e.price,
      channel: e.channel,
      channel_id: channelId,
    });
  },
  finish: NO_FINISH,
});

const q22: FloorFactory = (sink) => ({
  onEvent(e) {
    if (e.type !== 'bid') return;
    const parts = e.url.split('/');
    sink.append({
      auction: e.auction,
      bidder: e.bidder,
      price: e.price,
      channel: e.channel,
      dir1: parts[3] ?? null,
      dir2: parts[4] ?? null,
      dir3: parts[5] ?? null,
    });
  },
  finish: NO_FINISH,
});

// ---- regular joins -----------------------------------------------------------------------------------

/**
 * q3: category-10 auctions joined with their seller when the seller lives in OR, ID or CA. Person ids
 * are unique, so an auction waits only until its seller has been seen (then it is joined or dropped).
 */
const q3: FloorFactory = (sink) => {
  /** Every person seen: the person when in OR/ID/CA, null otherwise. */
  const people = new Map<number, Person | null>();
  const waiting = new Map<number, Auction[]>();
  const emit = (a: Auction, p: Person) =>
    sink.append({ name: p.name, city: p.city, state: p.state, id: a.id });
  return {
    onEvent(e) {
      if (e.type === 'person') {
        const keep = e.state === 'OR' || e.state === 'ID' || e.state === 'CA';
        people.set(e.id, keep ? e : null);
        const auctions = waiting.get(e.id);
        if (auctions === undefined) return;
        waiting.delete(e.id);
        if (keep) for (const a of auctions) emit(a, e);
      } else if (e.type === 'auction') {
        if (e.category !== 10) return;
        const p = people.get(e.seller);
        if (p === undefined) {
          const list = waiting.get(e.seller);
          if (list === undefined) waiting.set(e.seller, [e]);
          else list.push(e);
        } else if (p !== null) emit(e, p);
      }
    },
    finish: NO_FINISH,
  };
};

function q20Row(b: Bid, a: Auction): Row {
  return {
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    url: b.url,
    dateTime: b.dateTime,
    extra: b.extra,
    itemName: a.itemName,
    description: a.description,
    initialBid: a.initialBid,
    reserve: a.reserve,
    auctionDateTime: a.dateTime,
    expires: a.expires,
    seller: a.seller,
    category: a.category,
    auctionExtra: a.extra,
  };
}

/** q20: bids joined with their auction when it is of category 10; auction ids are unique. */
const q20: FloorFactory = (sink) => {
  /** Every auction seen: the auction when of category 10, null otherwise. */
  const auctions = new Map<number, Auction | null>();
  const waiting = new Map<number, Bid[]>();
  return {
    onEvent(e) {
      if (e.type === 'bid') {
        const a = auctions.get(e.auction);
        if (a === undefined) {
          const list = waiting.get(e.auction);
          if (list === undefined) waiting.set(e.auction, [e]);
          else list.push(e);
        } else if (a !== null) sink.append(q20Row(e, a));
      } else if (e.type === 'auction') {
        const keep = e.category === 10;
        auctions.set(e.id, keep ? e : null);
        const bids = waiting.get(e.id);
        if (bids === undefined) return;
        waiting.delete(e.id);
        if (keep) for (const b of bids) sink.append(q20Row(b, e));
      }
    },
    finish: NO_FINISH,
  };
};

function q23Row(b: Bid, p: Person, a: Auction): Row {
  return {
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    url: b.url,
    bid_extra: b.extra,
    person_id: p.id,
    name: p.name,
    emailAddress: p.emailAddress,
    creditCard: p.creditCard,
    city: p.city,
    state: p.state,
    person_extra: p.extra,
    itemName: a.itemName,
    description: a.description,
    initialBid: a.initialBid,
    reserve: a.reserve,
    auction_dateTime: a.dateTime,
    expires: a.expires,
    seller: a.seller,
    category: a.category,
    auction_extra: a.extra,
  };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * q23: bid ⋈ person (bidder = id) ⋈ auction (seller = bidder), regular joins: every bid and auction is
 * kept (more auctions of a seller may always come), persons by id.
 */
const q23: FloorFactory = (sink) => {
  const persons = new Map<number, Person>();
  const bidsByBidder = new Map<number, Bid[]>();
  const auctionsBySeller = new Map<number, Auction[]>();
  return {
    onEvent(e) {
      if (e.type === 'bid') {
        pushTo(bidsByBidder, e.bidder, e);
        const p = persons.get(e.bidder);
        if (p === undefined) return;
        const auctions = auctionsBySeller.get(e.bidder);
        if (auctions !== undefined) for (const a of auctions) sink.append(q23Row(e, p, a));
      } else if (e.type === 'person') {
        persons.set(e.id, e);
        const bids = bidsByBidder.get(e.id);
        const auctions = auctionsBySeller.get(e.id);
        if (bids === undefined || auctions === undefined) return;
        for (const b of bids) for (const a of auctions) sink.append(q23Row(b, e, a));
      } else {
        pushTo(auctionsBySeller, e.seller, e);
        const p = persons.get(e.seller);
        if (p === undefined) return;
        const bids = bidsByBidder.get(e.seller);
        if (bids !== undefined) for (const b of bids) sink.append(q23Row(b, p, e));
      }
    },
    finish: NO_FINISH,
  };
};

// ---- winning bids (q4, q6, q9) ------------------------------------------------------------------------

/** A min-heap of (time, id) pairs: event-time timers. */
class TimerHeap {
  readonly #times: number[] = [];
  readonly #ids: number[] = [];

  get size(): number {
    return this.#times.length;
  }

  get nextTime(): number {
    return this.#times.length === 0 ? Number.POSITIVE_INFINITY : this.#times[0]!;
  }

  push(time: number, id: number): void {
    const times = this.#times;
    const ids = this.#ids;
    let i = times.length;
    times.push(time);
    ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= time) break;
      times[i] = times[parent]!;
      ids[i] = ids[parent]!;
      i = parent;
    }
    times[i] = time;
    ids[i] = id;
  }

  /** Removes the earliest timer and returns its id. */
  pop(): number {
    const times = this.#times;
    const ids = this.#ids;
    const top = ids[0]!;
    const lastTime = times.pop()!;
    const lastId = ids.pop()!;
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && times[child + 1]! < times[child]!) child++;
        if (times[child]! >= lastTime) break;
        times[i] = times[child]!;
        ids[i] = ids[child]!;
        i = child;
      }
      times[i] = lastTime;
      ids[i] = lastId;
    }
    return top;
  }
}

interface OpenAuction {
  auction: Auction | undefined;
  /** Bids that came before their auction (the generator's "+10" lead), in arrival order. */
  pending: Bid[];
  best: Bid | undefined;
}

function beats(bid: Bid, best: Bid | undefined): boolean {
  return (
    best === undefined || bid.price > best.price || (bid.price === best.price && bid.dateTime < best.dateTime)
  );
}

function inWindow(bid: Bid, a: Auction): boolean {
  return bid.dateTime >= a.dateTime && bid.dateTime <= a.expires;
}

/**
 * The best bid of each auction among its bids with dateTime in [auction.dateTime, auction.expires]
 * (higher price, then earlier time, then earlier arrival), whichever of auction and bid comes first;
 * the auction closes (its state dropped, later bids ignored) when the watermark reaches its expiry.
 * `onUpdate` is called when an auction's best bid changes, `onClose` when it closes.
 */
export class WinningBids {
  readonly #open = new Map<number, OpenAuction>();
  readonly #closed = new Set<number>();
  readonly #timers = new TimerHeap();
  #maxTime = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly onUpdate: (a: Auction, best: Bid, previous: Bid | undefined) => void,
    private readonly onClose: ((a: Auction, best: Bid | undefined) => void) | undefined,
  ) {}

  onEvent(e: NexmarkEvent): void {
    if (e.type === 'auction') this.#auction(e);
    else if (e.type === 'bid') this.#bid(e);
    if (e.dateTime > this.#maxTime) {
      this.#maxTime = e.dateTime;
      this.#fireUpTo(this.#maxTime - DELAY);
    }
  }

  /** The end of the input: every open auction closes. */
  finish(): void {
    this.#fireUpTo(Number.POSITIVE_INFINITY);
  }

  #auction(a: Auction): void {
    const state = this.#open.get(a.id);
    if (this.#closed.has(a.id) || state?.auction !== undefined) return;
    let best: Bid | undefined;
    if (state !== undefined)
      for (const bid of state.pending)
        if (inWindow(bid, a) && beats(bid, best)) {
          this.onUpdate(a, bid, best);
          best = bid;
        }
    this.#open.set(a.id, { auction: a, pending: [], best });
    this.#timers.push(a.expires, a.id);
  }

  #bid(bid: Bid): void {
    const state = this.#open.get(bid.auction);
    if (state === undefined) {
      if (!this.#closed.has(bid.auction))
        this.#open.set(bid.auction, { auction: undefined, pending: [bid], best: undefined });
      return;
    }
    const a = state.auction;
    if (a === undefined) {
      state.pending.push(bid);
      return;
    }
    if (!inWindow(bid, a) || !beats(bid, state.best)) return;
    const previous = state.best;
    state.best = bid;
    this.onUpdate(a, bid, previous);
  }

  #fireUpTo(watermark: number): void {
    const timers = this.#timers;
    while (timers.size > 0 && timers.nextTime <= watermark) {
      const id = timers.pop();
      const state = this.#open.get(id);
      if (state === undefined || state.auction === undefined) continue;
      this.#open.delete(id);
      this.#closed.add(id);
      this.onClose?.(state.auction, state.best);
    }
  }
}

/** q4: average winning price per category, updated whenever an auction's best bid changes. */
const q4: FloorFactory = (sink) => {
  const totals = new Map<number, { sum: number; count: number }>();
  return new WinningBids((a, best, previous) => {
    let t = totals.get(a.category);
    if (t === undefined) {
      t = { sum: 0, count: 0 };
      totals.set(a.category, t);
    }
    if (previous === undefined) {
      t.sum += best.price;
      t.count++;
    } else t.sum += best.price - previous.price;
    sink.upsert(a.category, { category: a.category, avg: t.sum / t.count });
  }, undefined);
};

interface Closed {
  auction: number;
  expires: number;
  price: number;
}

/** q6: per seller, the average winning price of its last 10 closed auctions (by expiry, then id). */
const q6: FloorFactory = (sink) => {
  const lastClosed = new Map<number, Closed[]>();
  return new WinningBids(
    () => {},
    (a, best) => {
      if (best === undefined) return;
      let list = lastClosed.get(a.seller);
      if (list === undefined) {
        list = [];
        lastClosed.set(a.seller, list);
      }
      const entry = { auction: a.id, expires: a.expires, price: best.price };
      let at = list.length;
      while (
        at > 0 &&
        (list[at - 1]!.expires > entry.expires ||
          (list[at - 1]!.expires === entry.expires && list[at - 1]!.auction > entry.auction))
      )
        at--;
      list.splice(at, 0, entry);
      if (list.length > 10) list.shift();
      let sum = 0;
      for (const c of list) sum += c.price;
      sink.upsert(a.seller, { seller: a.seller, avg: sum / list.length });
    },
  );
};

/** q9: the winning bid of each auction, as an updating table keyed by auction id. */
const q9: FloorFactory = (sink) =>
  new WinningBids((a, b) => {
    sink.upsert(a.id, {
      id: a.id,
      itemName: a.itemName,
      description: a.description,
      initialBid: a.initialBid,
      reserve: a.reserve,
      dateTime: a.dateTime,
      expires: a.expires,
      seller: a.seller,
      category: a.category,
      extra: a.extra,
      auction: b.auction,
      bidder: b.bidder,
      price: b.price,
      bid_dateTime: b.dateTime,
      bid_extra: b.extra,
    });
  }, undefined);

// ---- event-time windows (q5, q7, q8, q11) ---------------------------------------------------------------

/**
 * Windows of `size` ms starting every `slide` ms (epoch-aligned), held by start; a window closes (its
 * `close` runs, then it is dropped) once the watermark reaches its end. Events are in time order (the
 * generator has no disorder), so windows open in order and close in order.
 */
class WindowClock<S> {
  readonly windows = new Map<number, S>();
  #lowestOpen = Number.NaN;
  #maxTime = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly size: number,
    private readonly slide: number,
    private readonly create: () => S,
    private readonly close: (start: number, state: S) => void,
  ) {}

  /** The state of the window starting at `start`, opened if needed; undefined when already closed. */
  window(start: number): S | undefined {
    if (Number.isNaN(this.#lowestOpen)) this.#lowestOpen = start - (this.size - this.slide);
    if (start < this.#lowestOpen) return undefined;
    let state = this.windows.get(start);
    if (state === undefined) {
      state = this.create();
      this.windows.set(start, state);
    }
    return state;
  }

  /** Moves event time on to `time` (the watermark follows 4 s behind). */
  advance(time: number): void {
    if (time <= this.#maxTime) return;
    this.#maxTime = time;
    this.#closeUpTo(time - DELAY);
  }

  finish(): void {
    this.#closeUpTo(Number.POSITIVE_INFINITY);
  }

  #closeUpTo(watermark: number): void {
    if (Number.isNaN(this.#lowestOpen)) return;
    while (this.windows.size > 0 && this.#lowestOpen + this.size <= watermark) {
      const start = this.#lowestOpen;
      const state = this.windows.get(start);
      if (state !== undefined) {
        this.windows.delete(start);
        this.close(start, state);
      }
      this.#lowestOpen += this.slide;
    }
  }
}

/** q5: bids per auction in hopping windows of 10 s every 2 s; per window the auctions with the most. */
export class HotItems implements QueryLogic {
  readonly #clock: WindowClock<Map<number, number>>;

  constructor(sink: RowSink) {
    this.#clock = new WindowClock(
      10_000,
      2_000,
      () => new Map(),
      (start, counts) => {
        let max = 0;
        for (const n of counts.values()) if (n > max) max = n;
        for (const [auction, n] of counts)
          if (n === max) sink.append({ auction, num: n, starttime: start, endtime: start + 10_000 });
      },
    );
  }

  onEvent(e: NexmarkEvent): void {
    if (e.type === 'bid') {
      const t = e.dateTime;
      const last = t - (t % 2_000);
      for (let start = last - 8_000; start <= last; start += 2_000) {
        const counts = this.#clock.window(start);
        if (counts !== undefined) counts.set(e.auction, (counts.get(e.auction) ?? 0) + 1);
      }
    }
    this.#clock.advance(e.dateTime);
  }

  finish(): void {
    this.#clock.finish();
  }
}

interface Highest {
  price: number;
  bids: Bid[];
}

/** q7: per tumbling 10 s window, the bids with the window's highest price. */
export class HighestBid implements QueryLogic {
  readonly #clock: WindowClock<Highest>;

  constructor(sink: RowSink) {
    this.#clock = new WindowClock(
      10_000,
      10_000,
      (): Highest => ({ price: -1, bids: [] }),
      (_start, top) => {
        for (const b of top.bids)
          sink.append({
            auction: b.auction,
            price: b.price,
            bidder: b.bidder,
            dateTime: b.dateTime,
            extra: b.extra,
          });
      },
    );
  }

  onEvent(e: NexmarkEvent): void {
    if (e.type === 'bid') {
      const top = this.#clock.window(e.dateTime - (e.dateTime % 10_000));
      if (top !== undefined) {
        if (e.price > top.price) {
          top.price = e.price;
          top.bids = [e];
        } else if (e.price === top.price) top.bids.push(e);
      }
    }
    this.#clock.advance(e.dateTime);
  }

  finish(): void {
    this.#clock.finish();
  }
}

interface Seen {
  name: string | undefined;
  sold: boolean;
}

/** q8: per tumbling 10 s window, the people who registered and opened an auction in it. */
export class NewUsers implements QueryLogic {
  readonly #clock: WindowClock<Map<number, Seen>>;

  constructor(sink: RowSink) {
    this.#clock = new WindowClock(
      10_000,
      10_000,
      () => new Map(),
      (start, seen) => {
        for (const [id, s] of seen)
          if (s.sold && s.name !== undefined) sink.append({ id, name: s.name, starttime: start });
      },
    );
  }

  onEvent(e: NexmarkEvent): void {
    if (e.type !== 'bid') {
      const window = this.#clock.window(e.dateTime - (e.dateTime % 10_000));
      if (window !== undefined) {
        const id = e.type === 'person' ? e.id : e.seller;
        let s = window.get(id);
        if (s === undefined) {
          s = { name: undefined, sold: false };
          window.set(id, s);
        }
        if (e.type === 'person') s.name = e.name;
        else s.sold = true;
      }
    }
    this.#clock.advance(e.dateTime);
  }

  finish(): void {
    this.#clock.finish();
  }
}

interface Session {
  start: number;
  last: number;
  count: number;
}

const SESSION_GAP = 10_000;
/** Open sessions are swept for ones the watermark closed every this much event time. */
const SWEEP_MS = 1_000;

/** q11: bids per bidder per session (bids less than 10 s apart), once the session closed. */
export class UserSessions implements QueryLogic {
  readonly #open = new Map<number, Session>();
  #maxTime = Number.NEGATIVE_INFINITY;
  #nextSweep = Number.NEGATIVE_INFINITY;

  constructor(private readonly sink: RowSink) {}

  onEvent(e: NexmarkEvent): void {
    if (e.type === 'bid') {
      const s = this.#open.get(e.bidder);
      if (s !== undefined && e.dateTime - s.last < SESSION_GAP) {
        s.count++;
        if (e.dateTime > s.last) s.last = e.dateTime;
      } else {
        // In time order, a bid 10 s or more after the session's last one means the session is over.
        if (s !== undefined) this.#emit(e.bidder, s);
        this.#open.set(e.bidder, { start: e.dateTime, last: e.dateTime, count: 1 });
      }
    }
    if (e.dateTime > this.#maxTime) {
      this.#maxTime = e.dateTime;
      if (this.#maxTime >= this.#nextSweep) {
        this.#nextSweep = this.#maxTime + SWEEP_MS;
        this.#closeUpTo(this.#maxTime - DELAY);
      }
    }
  }

  finish(): void {
    this.#closeUpTo(Number.POSITIVE_INFINITY);
  }

  #emit(bidder: number, s: Session): void {
    this.sink.append({ bidder, bid_count: s.count, starttime: s.start, endtime: s.last + SESSION_GAP });
  }

  #closeUpTo(watermark: number): void {
    for (const [bidder, s] of this.#open)
      if (s.last + SESSION_GAP <= watermark) {
        this.#open.delete(bidder);
        this.#emit(bidder, s);
      }
  }
}

// ---- processing time (q12) ----------------------------------------------------------------------------

const PROC_WINDOW_MS = 10_000;

/** q12: bids per bidder per tumbling 10 s of processing time (the clock read every 1,024 bids). */
const q12: FloorFactory = (sink, clock) => {
  let counts = new Map<number, number>();
  let start = Number.NaN;
  let bids = 0;
  const flush = () => {
    for (const [bidder, n] of counts)
      sink.append({ bidder, bid_count: n, window_start: start, window_end: start + PROC_WINDOW_MS });
    counts = new Map();
  };
  return {
    onEvent(e) {
      if (e.type !== 'bid') return;
      if ((bids++ & 1023) === 0) {
        const now = clock();
        const current = now - (now % PROC_WINDOW_MS);
        if (current !== start) {
          if (!Number.isNaN(start)) flush();
          start = current;
        }
      }
      counts.set(e.bidder, (counts.get(e.bidder) ?? 0) + 1);
    },
    finish: flush,
  };
};

// ---- unbounded aggregates (q15-q19) --------------------------------------------------------------------

/** q15/q16's counts per group, with the bidders and auctions seen per rank (bit 0: any, bit 1 + r). */
export class RankCounter {
  total_bids = 0;
  rank1_bids = 0;
  rank2_bids = 0;
  rank3_bids = 0;
  total_bidders = 0;
  rank1_bidders = 0;
  rank2_bidders = 0;
  rank3_bidders = 0;
  total_auctions = 0;
  rank1_auctions = 0;
  rank2_auctions = 0;
  rank3_auctions = 0;
  minute = '';
  readonly #bidders = new Map<number, number>();
  readonly #auctions = new Map<number, number>();

  add(b: Bid): void {
    const rank = rankOf(b.price);
    const bit = 1 << rank;
    this.total_bids++;
    if (rank === 1) this.rank1_bids++;
    else if (rank === 2) this.rank2_bids++;
    else this.rank3_bids++;
    const bidder = this.#bidders.get(b.bidder) ?? 0;
    if ((bidder & 1) === 0) this.total_bidders++;
    if ((bidder & bit) === 0) {
      if (rank === 1) this.rank1_bidders++;
      else if (rank === 2) this.rank2_bidders++;
      else this.rank3_bidders++;
    }
    if ((bidder | 1 | bit) !== bidder) this.#bidders.set(b.bidder, bidder | 1 | bit);
    const auction = this.#auctions.get(b.auction) ?? 0;
    if ((auction & 1) === 0) this.total_auctions++;
    if ((auction & bit) === 0) {
      if (rank === 1) this.rank1_auctions++;
      else if (rank === 2) this.rank2_auctions++;
      else this.rank3_auctions++;
    }
    if ((auction | 1 | bit) !== auction) this.#auctions.set(b.auction, auction | 1 | bit);
  }

  counts(): Row {
    return {
      total_bids: this.total_bids,
      rank1_bids: this.rank1_bids,
      rank2_bids: this.rank2_bids,
      rank3_bids: this.rank3_bids,
      total_bidders: this.total_bidders,
      rank1_bidders: this.rank1_bidders,
      rank2_bidders: this.rank2_bidders,
      rank3_bidders: this.rank3_bidders,
      total_auctions: this.total_auctions,
      rank1_auctions: this.rank1_auctions,
      rank2_auctions: this.rank2_auctions,
      rank3_auctions: this.rank3_auctions,
    };
  }
}

const q15: FloorFactory = (sink) => {
  const groups = new Map<string, RankCounter>();
  return {
    onEvent(e) {
      if (e.type !== 'bid') return;
      const day = utcDay(e.dateTime);
      let c = groups.get(day);
      if (c === undefined) {
        c = new RankCounter();
        groups.set(day, c);
      }
      c.add(e);
      sink.upsert(day, { day, ...c.counts() });
    },
    finish: NO_FINISH,
  };
};

const q16: FloorFactory = (sink) => {
  const groups = new Map<string, RankCounter>();
  return {
    onEvent(e) {
      if (e.type !== 'bid') return;
      const day = utcDay(e.dateTime);
      const key = `${e.channel}|${day}`;
      let c = groups.get(key);
      if (c === undefined) {
        c = new RankCounter();
        groups.set(key, c);
      }
      c.add(e);
      const minute = utcMinute(e.dateTime);
      if (minute > c.minute) c.minute = minute;
      sink.upsert(key, { channel: e.channel, day, minute: c.minute, ...c.counts() });
    },
    finish: NO_FINISH,
  };
};

export interface AuctionDay {
  total_bids: number;
  rank1_bids: number;
  rank2_bids: number;
  rank3_bids: number;
  min_price: number;
  max_price: number;
  sum_price: number;
}

export function newAuctionDay(): AuctionDay {
  return {
    total_bids: 0,
    rank1_bids: 0,
    rank2_bids: 0,
    rank3_bids: 0,
    min_price: Number.POSITIVE_INFINITY,
    max_price: Number.NEGATIVE_INFINITY,
    sum_price: 0,
  };
}

/** Adds a bid to q17's statistics of its (auction, day), in place. */
export function addToAuctionDay(s: AuctionDay, b: Bid): AuctionDay {
  const rank = rankOf(b.price);
  s.total_bids++;
  if (rank === 1) s.rank1_bids++;
  else if (rank === 2) s.rank2_bids++;
  else s.rank3_bids++;
  if (b.price < s.min_price) s.min_price = b.price;
  if (b.price > s.max_price) s.max_price = b.price;
  s.sum_price += b.price;
  return s;
}

export function auctionDayRow(auction: number, day: string, s: AuctionDay): Row {
  return {
    auction,
    day,
    total_bids: s.total_bids,
    rank1_bids: s.rank1_bids,
    rank2_bids: s.rank2_bids,
    rank3_bids: s.rank3_bids,
    min_price: s.min_price,
    max_price: s.max_price,
    avg_price: s.sum_price / s.total_bids,
    sum_price: s.sum_price,
  };
}

const q17: FloorFactory = (sink) => {
  const groups = new Map<string, AuctionDay>();
  return {
    onEvent(e) {
      if (e.type !== 'bid') return;
      const day = utcDay(e.dateTime);
      const key = `${e.auction}|${day}`;
      let s = groups.get(key);
      if (s === undefined) {
        s = newAuctionDay();
        groups.set(key, s);
      }
      addToAuctionDay(s, e);
      sink.upsert(key, auctionDayRow(e.auction, day, s));
    },
    finish: NO_FINISH,
  };
};

export function q18Row(b: Bid): Row {
  return {
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    url: b.url,
    dateTime: b.dateTime,
    extra: b.extra,
  };
}

/** q18: the latest bid per (bidder, auction) by event time (on a tie, the later one). */
const q18: FloorFactory = (sink) => {
  const latest = new Map<string, Bid>();
  return {
    onEvent(e) {
      if (e.type !== 'bid') return;
      const key = `${e.bidder}|${e.auction}`;
      const current = latest.get(key);
      if (current !== undefined && e.dateTime < current.dateTime) return;
      latest.set(key, e);
      sink.upsert(key, q18Row(e));
    },
    finish: NO_FINISH,
  };
};

/**
 * Inserts `b` into `top` (price descending, ties keep arrival order), keeping at most 10; returns
 * false when `b` did not make it (nothing changed).
 */
export function insertTop10(top: Bid[], b: Bid): boolean {
  let at = top.length;
  while (at > 0 && top[at - 1]!.price < b.price) at--;
  if (at >= 10) return false;
  top.splice(at, 0, b);
  if (top.length > 10) top.pop();
  return true;
}

export function top10Rows(top: readonly Bid[]): Row[] {
  return top.map((b, i) => ({
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    url: b.url,
    dateTime: b.dateTime,
    extra: b.extra,
    rank_number: i + 1,
  }));
}

/** q19: the top 10 bids per auction by price, as an updating table of ranked rows. */
const q19: FloorFactory = (sink) => {
  const tops = new Map<number, Bid[]>();
  return {
    onEvent(e) {
      if (e.type !== 'bid') return;
      let top = tops.get(e.auction);
      if (top === undefined) {
        top = [];
        tops.set(e.auction, top);
      }
      if (insertTop10(top, e)) sink.upsert(e.auction, top10Rows(top));
    },
    finish: NO_FINISH,
  };
};

/** Every query's floor, by name. */
export const FLOORS: ReadonlyMap<string, FloorFactory> = new Map<string, FloorFactory>([
  ['q0', q0],
  ['q1', q1],
  ['q2', q2],
  ['q3', q3],
  ['q4', q4],
  ['q5', (sink) => new HotItems(sink)],
  ['q6', q6],
  ['q7', (sink) => new HighestBid(sink)],
  ['q8', (sink) => new NewUsers(sink)],
  ['q9', q9],
  ['q10', q10],
  ['q11', (sink) => new UserSessions(sink)],
  ['q12', q12],
  ['q13', q13],
  ['q14', q14],
  ['q15', q15],
  ['q16', q16],
  ['q17', q17],
  ['q18', q18],
  ['q19', q19],
  ['q20', q20],
  ['q21', q21],
  ['q22', q22],
  ['q23', q23],
]);

/** Runs `query`'s floor over every event of `source` (the hand loop). */
export function runFloor(
  query: string,
  source: EventSource,
  sink: RowSink,
  clock: () => number = Date.now,
): void {
  const factory = FLOORS.get(query);
  if (factory === undefined) throw new Error(`no hand-written loop for ${query}`);
  const logic = factory(sink, clock);
  for (let e = source.next(); e !== undefined; e = source.next()) logic.onEvent(e);
  logic.finish();
}
