import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Auction, Bid, NexmarkEvent, Person } from './nexmark-event.ts';
import { NexmarkGenerator } from './nexmark-generator.ts';

function take(generator: NexmarkGenerator, n: number): NexmarkEvent[] {
  const out: NexmarkEvent[] = [];
  while (out.length < n && generator.hasNext()) out.push(generator.next());
  return out;
}

describe('NexmarkGenerator', () => {
  const events = take(new NexmarkGenerator({ events: 100_000, seed: 7, rate: 1000 }), 100_000);
  const persons = events.filter((e): e is Person => e.type === 'person');
  const auctions = events.filter((e): e is Auction => e.type === 'auction');
  const bids = events.filter((e): e is Bid => e.type === 'bid');

  it('interleaves person : auction : bid as 1 : 3 : 46 by event id', () => {
    assert.equal(events.length, 100_000);
    // Event ids start at 2 (first event id 1 + first event number 1): ids 2..100001.
    const counts = { person: 0, auction: 0, bid: 0 };
    for (let id = 2; id <= 100_001; id++) {
      const rem = id % 50;
      counts[rem < 1 ? 'person' : rem < 4 ? 'auction' : 'bid']++;
    }
    assert.deepEqual({ person: persons.length, auction: auctions.length, bid: bids.length }, counts);
    assert.equal(events[0]!.type, 'auction'); // id 2
    assert.equal(events[48]!.type, 'person'); // id 50
  });

  it('numbers people and auctions consecutively from 1000', () => {
    assert.deepEqual(
      persons.map((p) => p.id),
      persons.map((_, i) => 1001 + i), // person 1000 would be event id 0
    );
    assert.deepEqual(
      auctions.map((a) => a.id),
      auctions.map((_, i) => 1001 + i),
    );
  });

  it('spaces event times by 1/rate and keeps them in order', () => {
    const base = events[0]!.dateTime;
    for (let i = 0; i < events.length; i++) assert.equal(events[i]!.dateTime, base + i);
  });

  it('draws bids from the hot auction about half of the time, never beyond the +10 lead', () => {
    let hot = 0;
    let lastAuction = 1000;
    for (const e of events) {
      if (e.type === 'auction') lastAuction = e.id;
      if (e.type !== 'bid') continue;
      assert.ok(e.auction <= lastAuction + 10, `bid for ${e.auction} after auction ${lastAuction}`);
      assert.ok(e.auction >= Math.max(lastAuction - 100, 1000));
      if (e.auction === Math.floor((lastAuction - 1000) / 100) * 100 + 1000) hot++;
    }
    // P(hot) = 1/2, plus the random draws that land on the hot id (about 1/110 of the other half).
    const share = hot / bids.length;
    assert.ok(share > 0.49 && share < 0.52, `hot auction share ${share}`);
  });

  it('offsets bidders by 2000 (the reference quirk) and picks the hot bidder 3/4 of the time', () => {
    let hot = 0;
    let lastPerson = 1000;
    for (const e of events) {
      if (e.type === 'person') lastPerson = e.id;
      if (e.type !== 'bid') continue;
      const base0 = e.bidder - 2000;
      assert.ok(base0 >= 0 && base0 <= lastPerson - 1000 + 10, `bidder ${e.bidder} vs person ${lastPerson}`);
      if (base0 === Math.floor((lastPerson - 1000) / 100) * 100 + 1) hot++;
    }
    const share = hot / bids.length;
    assert.ok(share > 0.74 && share < 0.77, `hot bidder share ${share}`);
  });

  it('gives auctions a seller among known people, the hot seller 3/4 of the time, and a category 10..14', () => {
    let hot = 0;
    let lastPerson = 1000;
    const categories = new Set<number>();
    for (const e of events) {
      if (e.type === 'person') lastPerson = e.id;
      if (e.type !== 'auction') continue;
      categories.add(e.category);
      assert.ok(e.seller >= 1000 && e.seller <= lastPerson + 10);
      if (e.seller === Math.floor((lastPerson - 1000) / 100) * 100 + 1000) hot++;
      assert.ok(e.expires > e.dateTime);
      assert.ok(e.reserve > e.initialBid);
    }
    assert.deepEqual([...categories].sort(), [10, 11, 12, 13, 14]);
    const share = hot / auctions.length;
    assert.ok(share > 0.73 && share < 0.78, `hot seller share ${share}`);
  });

  it('makes auctions last about the time of 1,667 events on average', () => {
    // horizon = time of 100 * 50 / 3 events; length = 1 + uniform[0, 2 * horizon) => mean ~ horizon.
    const mean = auctions.reduce((s, a) => s + (a.expires - a.dateTime), 0) / auctions.length;
    assert.ok(mean > 1600 && mean < 1730, `mean auction length ${mean} ms at 1 event/ms`);
  });

  it('draws prices log-uniformly between 100 and 10^8 cents', () => {
    const prices = bids.map((b) => b.price);
    assert.ok(Math.min(...prices) >= 100 && Math.max(...prices) <= 100_000_000);
    const below10k = prices.filter((p) => p < 10_000).length / prices.length; // log10 < 4: 2/6
    assert.ok(Math.abs(below10k - 1 / 3) < 0.01, `share below 10,000: ${below10k}`);
  });

  it('pads records to the average sizes', () => {
    const bidSize = bids.reduce((s, b) => s + 32 + b.extra.length, 0) / bids.length;
    assert.ok(Math.abs(bidSize - 100) < 1, `bid size ${bidSize}`);
    const personSize =
      persons.reduce(
        (s, p) =>
          s +
          8 +
          p.name.length +
          p.emailAddress.length +
          p.creditCard.length +
          p.city.length +
          p.state.length +
          p.extra.length,
        0,
      ) / persons.length;
    assert.ok(Math.abs(personSize - 200) < 2, `person size ${personSize}`);
    for (const p of persons) {
      assert.match(p.creditCard, /^\d{4} \d{4} \d{4} \d{4}$/);
      // Trimmed random strings may be empty, as in the reference.
      assert.match(p.emailAddress, /^[a-z ]*@[a-z ]*\.com$/);
    }
  });

  it('uses the 4 hot channels half of the time, others with a channel_id in the url 9 times in 10', () => {
    const hot = bids.filter((b) => ['Google', 'Facebook', 'Baidu', 'Apple'].includes(b.channel));
    assert.ok(Math.abs(hot.length / bids.length - 0.5) < 0.01);
    const urlOf = new Map<string, Set<string>>();
    for (const b of hot) urlOf.set(b.channel, (urlOf.get(b.channel) ?? new Set()).add(b.url));
    for (const urls of urlOf.values()) assert.equal(urls.size, 1);
    const others = bids.filter((b) => b.channel.startsWith('channel-'));
    const withId = others.filter((b) => b.url.includes('&channel_id=')).length / others.length;
    assert.ok(withId > 0.85 && withId < 0.95, `share with channel_id ${withId}`);
    for (const b of bids)
      assert.match(b.url, /^https:\/\/www\.nexmark\.com\/[a-z_]+\/[a-z_]+\/[a-z_]+\/item\.htm\?query=1/);
  });

  it('is deterministic by seed, and any event can be generated alone', () => {
    const again = take(new NexmarkGenerator({ events: 100_000, seed: 7, rate: 1000 }), 1000);
    assert.deepEqual(again, events.slice(0, 1000));
    const other = take(new NexmarkGenerator({ events: 100_000, seed: 8, rate: 1000 }), 1000);
    assert.notDeepEqual(other, events.slice(0, 1000));
    const g = new NexmarkGenerator({ events: 100_000, seed: 7, rate: 1000 });
    assert.deepEqual(g.eventAt(54_321), events[54_321]);
    g.seek(99_990);
    assert.deepEqual(take(g, 100), events.slice(99_990));
    assert.equal(g.hasNext(), false);
    assert.throws(() => g.next(), { code: 'INVALID_ARGUMENT' });
  });

  it('gives splits disjoint ids on one shared timeline', () => {
    const splits = [0, 1, 2].map((s) => new NexmarkGenerator({ events: 30_000, splits: 3, rate: 3000 }, s));
    const first = splits.map((g) => g.next());
    assert.deepEqual(
      first.map((e) => e.dateTime),
      [first[0]!.dateTime, first[0]!.dateTime, first[0]!.dateTime],
    );
    const ids = splits.map((g) => {
      const set = new Set<number>();
      for (const e of take(g, 10_000)) if (e.type === 'person') set.add(e.id);
      return set;
    });
    assert.equal(splits[0]!.maxEvents + splits[1]!.maxEvents + splits[2]!.maxEvents, 30_000);
    for (const id of ids[0]!) assert.ok(!ids[1]!.has(id) && !ids[2]!.has(id));
    // Each split's events are 1 ms apart (3 splits at 3,000 events/s together).
    assert.equal(splits[1]!.timestampOf(1000) - splits[1]!.timestampOf(0), 1000);
  });

  it('refuses unusable configurations', () => {
    assert.throws(() => new NexmarkGenerator({ rate: 0 }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => new NexmarkGenerator({ splits: 2 }, 2), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => new NexmarkGenerator({ events: -1 }), { code: 'INVALID_ARGUMENT' });
  });
});
