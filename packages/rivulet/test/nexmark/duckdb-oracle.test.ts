import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Auction, Bid, NexmarkEvent, Person } from '../../src/nexmark/nexmark-event.ts';
import { compareRowMultisets, type Row } from './compare-rows.ts';
import { NEXMARK_QUERY_NAMES, type NexmarkQueryParams, openNexmarkOracle } from './duckdb-oracle.ts';

/** 2025-01-01T00:00:00Z: a multiple of 10 000 ms, so window starts below are T + k * 2000 / 10 000. */
const T = 1_735_689_600_000;

const dir = mkdtempSync(join(tmpdir(), 'rivulet-nexmark-oracle-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fixtureCount = 0;

function writeEvents(events: readonly NexmarkEvent[]): string {
  const path = join(dir, `events-${fixtureCount++}.jsonl`);
  writeFileSync(path, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return path;
}

function person(p: Partial<Person> & Pick<Person, 'id'>): Person {
  return {
    type: 'person',
    name: 'Peter Shultz',
    emailAddress: 'peter@shultz.com',
    creditCard: '1234 5678 9012 3456',
    city: 'Boise',
    state: 'ID',
    dateTime: T,
    extra: '',
    ...p,
  };
}

function auction(a: Partial<Auction> & Pick<Auction, 'id' | 'seller'>): Auction {
  return {
    type: 'auction',
    itemName: `item-${a.id}`,
    description: `description of ${a.id}`,
    initialBid: 100,
    reserve: 200,
    dateTime: T,
    expires: T + 10_000,
    category: 10,
    extra: `auction-extra-${a.id}`,
    ...a,
  };
}

function bid(b: Partial<Bid> & Pick<Bid, 'auction' | 'bidder' | 'price'>): Bid {
  return {
    type: 'bid',
    channel: 'Google',
    url: 'https://www.nexmark.com/abc/def/ghi/item.htm?query=1',
    dateTime: T,
    extra: '',
    ...b,
  };
}

async function runQuery(
  events: readonly NexmarkEvent[],
  name: string,
  params: NexmarkQueryParams = { watermark: T + 1_000_000 },
): Promise<Array<Record<string, unknown>>> {
  const oracle = await openNexmarkOracle(writeEvents(events));
  try {
    return await oracle.query(name, params);
  } finally {
    oracle.close();
  }
}

function assertSameRows(actual: readonly Row[], expected: readonly Row[]): void {
  const comparison = compareRowMultisets(actual, expected);
  assert.ok(comparison.equal, comparison.summary);
}

/** A bid's own columns, as q18/q19 output them. */
function bidColumns(b: Bid): Row {
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

describe('compareRowMultisets', () => {
  test('equal multisets match regardless of order', () => {
    const r = compareRowMultisets(
      [
        { a: 1, b: 'x' },
        { a: 2, b: null },
      ],
      [
        { a: 2, b: null },
        { a: 1, b: 'x' },
      ],
    );
    assert.equal(r.equal, true, r.summary);
    assert.deepEqual(r.missing, []);
    assert.deepEqual(r.unexpected, []);
  });

  test('duplicates count', () => {
    const r = compareRowMultisets([{ a: 1 }, { a: 1 }], [{ a: 1 }]);
    assert.equal(r.equal, false);
    assert.deepEqual(r.unexpected, [{ a: 1 }]);
    assert.deepEqual(r.missing, []);
    const r2 = compareRowMultisets([{ a: 1 }, { a: 2 }], [{ a: 1 }, { a: 1 }, { a: 2 }]);
    assert.equal(r2.equal, false);
    assert.deepEqual(r2.missing, [{ a: 1 }]);
    assert.deepEqual(r2.unexpected, []);
    assert.match(r2.summary, /2 actual rows, 3 expected rows: 1 missing, 0 unexpected/);
  });

  test('floats match within the relative tolerance, also with duplicates', () => {
    assert.notEqual(0.1 + 0.2, 0.3);
    const r = compareRowMultisets(
      [
        { k: 'a', v: 0.1 + 0.2 },
        { k: 'a', v: 0.3 },
        { k: 'a', v: 1e12 + 0.0001 },
      ],
      [
        { k: 'a', v: 1e12 },
        { k: 'a', v: 0.30000000000000004 },
        { k: 'a', v: 0.3 + 1e-17 },
      ],
    );
    assert.equal(r.equal, true, r.summary);
  });

  test('numbers beyond the tolerance differ', () => {
    const r = compareRowMultisets([{ v: 1 }], [{ v: 1.0001 }]);
    assert.equal(r.equal, false);
    assert.deepEqual(r.unexpected, [{ v: 1 }]);
    assert.deepEqual(r.missing, [{ v: 1.0001 }]);
    assert.equal(compareRowMultisets([{ v: 0 }], [{ v: 1e-300 }]).equal, false);
    assert.equal(compareRowMultisets([{ v: 1 }], [{ v: 1.0001 }], { relativeTolerance: 1e-3 }).equal, true);
  });

  test('a near match is not spent on the wrong partner', () => {
    // Greedy matching in sorted order pairs 1 with 1 and 2 with 2 + 1e-12.
    const r = compareRowMultisets([{ v: 2 + 1e-12 }, { v: 1 }], [{ v: 1 }, { v: 2 }]);
    assert.equal(r.equal, true, r.summary);
  });

  test('missing and unexpected rows, keys and types must agree', () => {
    const r = compareRowMultisets(
      [{ a: 1, b: 'x' }, { a: 3 }, { a: '1' }],
      [{ a: 1, b: 'x' }, { a: 2 }, { a: 1 }, { a: 3, c: null }],
    );
    assert.equal(r.equal, false);
    assert.deepEqual(r.missing, [{ a: 2 }, { a: 1 }, { a: 3, c: null }]);
    assert.deepEqual(r.unexpected, [{ a: 3 }, { a: '1' }]);
    assert.match(r.summary, /3 missing, 2 unexpected/);
    assert.match(r.summary, /missing \(3\):\n {2}\{"a":2\}/);
    assert.match(r.summary, /unexpected \(2\):\n {2}\{"a":3\}/);
  });

  test('the summary shows only the first few differing rows', () => {
    const actual = Array.from({ length: 20 }, (_, i) => ({ i }));
    const r = compareRowMultisets(actual, []);
    assert.match(r.summary, /unexpected \(20, first 5\)/);
    assert.equal(r.summary.split('\n').length, 1 + 1 + 5);
  });
});

describe('the DuckDB oracle', () => {
  test('every query runs and yields exactly the agreed columns', async () => {
    const ann = person({ id: 1000, name: 'Ann', state: 'OR', dateTime: T + 1000 });
    const events: NexmarkEvent[] = [
      ann,
      auction({ id: 1107, seller: 1000, dateTime: T + 2000, expires: T + 5000 }),
      bid({ auction: 1107, bidder: 1000, price: 2_000_000, dateTime: T + 3000, channel: 'Google' }),
    ];
    const expectedColumns: Record<string, string> = {
      q0: 'auction bidder price dateTime extra',
      q1: 'auction bidder price dateTime extra',
      q2: 'auction price',
      q3: 'name city state id',
      q4: 'category avg',
      q5: 'auction num starttime endtime',
      q6: 'seller avg',
      q7: 'auction price bidder dateTime extra',
      q8: 'id name starttime',
      q9:
        'id itemName description initialBid reserve dateTime expires seller category extra ' +
        'auction bidder price bid_dateTime bid_extra',
      q10: 'auction bidder price dateTime extra dt hm',
      q11: 'bidder bid_count starttime endtime',
      q12: 'bidder bid_count window_start window_end',
      q13: 'auction bidder price dateTime value',
      q14: 'auction bidder price bidTimeType dateTime extra c_counts',
      q15:
        'day total_bids rank1_bids rank2_bids rank3_bids total_bidders rank1_bidders rank2_bidders ' +
        'rank3_bidders total_auctions rank1_auctions rank2_auctions rank3_auctions',
      q16:
        'channel day minute total_bids rank1_bids rank2_bids rank3_bids total_bidders rank1_bidders ' +
        'rank2_bidders rank3_bidders total_auctions rank1_auctions rank2_auctions rank3_auctions',
      q17: 'auction day total_bids rank1_bids rank2_bids rank3_bids min_price max_price avg_price sum_price',
      q18: 'auction bidder price channel url dateTime extra',
      q19: 'auction bidder price channel url dateTime extra rank_number',
      q20:
        'auction bidder price channel url dateTime extra itemName description initialBid reserve ' +
        'auctionDateTime expires seller category auctionExtra',
      q21: 'auction bidder price channel channel_id',
      q22: 'auction bidder price channel dir1 dir2 dir3',
      q23:
        'bidder price channel url bid_extra person_id name emailAddress creditCard city state ' +
        'person_extra itemName description initialBid reserve auction_dateTime expires seller category ' +
        'auction_extra',
    };
    assert.deepEqual(Object.keys(expectedColumns), [...NEXMARK_QUERY_NAMES]);
    const oracle = await openNexmarkOracle(writeEvents(events));
    try {
      for (const name of NEXMARK_QUERY_NAMES) {
        assert.match(
          oracle.sql(name),
          /^-- q\d+ \((append|upsert)/,
          `${name} starts with its header comment`,
        );
        const rows = await oracle.query(name, { watermark: T + 100_000, processingWindowStart: T + 50_000 });
        assert.ok(rows.length > 0, `${name} yields rows on this fixture`);
        assert.deepEqual(Object.keys(rows[0]!), expectedColumns[name]!.split(' '), name);
      }
      // Spot-check the value types and a few trivially known values.
      assert.deepEqual(await oracle.query('q0', { watermark: T }), [
        { auction: 1107, bidder: 1000, price: 2_000_000, dateTime: T + 3000, extra: '' },
      ]);
      const [q1] = await oracle.query('q1', { watermark: T });
      assert.ok(Math.abs((q1!.price as number) - 1_816_000) < 1e-6);
      assert.deepEqual(await oracle.query('q10', { watermark: T }), [
        {
          auction: 1107,
          bidder: 1000,
          price: 2_000_000,
          dateTime: T + 3000,
          extra: '',
          dt: '2025-01-01',
          hm: '00:00',
        },
      ]);
      assert.deepEqual(await oracle.query('q12', { watermark: T, processingWindowStart: T + 50_000 }), [
        { bidder: 1000, bid_count: 1, window_start: T + 50_000, window_end: T + 60_000 },
      ]);
      assert.deepEqual(await oracle.query('q13', { watermark: T }), [
        { auction: 1107, bidder: 1000, price: 2_000_000, dateTime: T + 3000, value: 1107 },
      ]);
      await assert.rejects(oracle.query('q12', { watermark: T }), /\$processingWindowStart is required/);
      await assert.rejects(oracle.query('q24', { watermark: T }), /unknown Nexmark query/);
      await assert.rejects(oracle.query('q5', { watermark: T + 0.5 }), /must be a safe integer/);
      assert.throws(() => oracle.sql('../q1'), /unknown Nexmark query/);
    } finally {
      oracle.close();
    }
    await assert.rejects(oracle.query('q0', { watermark: T }), /closed/);
  });

  test('absent fields are NULL and unknown event types are rejected', async () => {
    const rows = await runQuery([{ type: 'bid', auction: 1, bidder: 2, price: 3 } as unknown as Bid], 'q0');
    assert.deepEqual(rows, [{ auction: 1, bidder: 2, price: 3, dateTime: null, extra: null }]);
    await assert.rejects(
      openNexmarkOracle(writeEvents([person({ id: 1 }), { type: 'other' } as unknown as Bid])),
      /event #2 has unknown type "other"/,
    );
  });

  test('q2: bids on every 123rd auction, duplicates kept', async () => {
    const rows = await runQuery(
      [
        auction({ id: 1107, seller: 1 }),
        bid({ auction: 1107, bidder: 1, price: 10 }),
        bid({ auction: 1107, bidder: 2, price: 10 }),
        bid({ auction: 1108, bidder: 1, price: 20 }),
        bid({ auction: 1230, bidder: 1, price: 30 }),
        bid({ auction: 1000, bidder: 1, price: 40 }),
      ],
      'q2',
    );
    assertSameRows(rows, [
      { auction: 1107, price: 10 },
      { auction: 1107, price: 10 },
      { auction: 1230, price: 30 },
    ]);
  });

  test('q3: sellers in OR/ID/CA with category-10 auctions, whichever side came first', async () => {
    const rows = await runQuery(
      [
        person({ id: 1000, name: 'Ann', city: 'Portland', state: 'OR' }),
        person({ id: 1001, name: 'Bob', city: 'Seattle', state: 'WA' }),
        person({ id: 1002, name: 'Cat', city: 'Boise', state: 'ID' }),
        auction({ id: 2000, seller: 1000, category: 10 }),
        auction({ id: 2001, seller: 1001, category: 10 }),
        auction({ id: 2002, seller: 1002, category: 11 }),
        auction({ id: 2003, seller: 1003, category: 10 }),
        auction({ id: 2004, seller: 1000, category: 10 }),
        auction({ id: 2005, seller: 1999, category: 10 }),
        person({ id: 1003, name: 'Dan', city: 'Kent', state: 'CA' }),
      ],
      'q3',
    );
    assertSameRows(rows, [
      { name: 'Ann', city: 'Portland', state: 'OR', id: 2000 },
      { name: 'Ann', city: 'Portland', state: 'OR', id: 2004 },
      { name: 'Dan', city: 'Kent', state: 'CA', id: 2003 },
    ]);
  });

  test('q4: average winning price per category, bid window inclusive at both ends', async () => {
    const rows = await runQuery(
      [
        auction({ id: 1000, seller: 1, category: 10, dateTime: T + 1000, expires: T + 5000 }),
        bid({ auction: 1000, bidder: 1, price: 900, dateTime: T + 500 }), // before the auction
        bid({ auction: 1000, bidder: 1, price: 300, dateTime: T + 1000 }), // at its start
        bid({ auction: 1000, bidder: 1, price: 500, dateTime: T + 5000 }), // at its expiry
        bid({ auction: 1000, bidder: 1, price: 800, dateTime: T + 5001 }), // after it
        auction({ id: 1001, seller: 1, category: 10, dateTime: T, expires: T + 3000 }),
        bid({ auction: 1001, bidder: 1, price: 251, dateTime: T + 2000 }),
        bid({ auction: 1001, bidder: 1, price: 100, dateTime: T + 2500 }),
        auction({ id: 1002, seller: 1, category: 11, dateTime: T, expires: T + 3000 }),
        bid({ auction: 1002, bidder: 1, price: 333, dateTime: T + 1000 }),
        auction({ id: 1003, seller: 1, category: 11, dateTime: T, expires: T + 3000 }),
        bid({ auction: 1003, bidder: 1, price: 10_000, dateTime: T + 4000 }),
        auction({ id: 1004, seller: 1, category: 12 }),
        bid({ auction: 1999, bidder: 1, price: 7, dateTime: T + 1 }),
      ],
      'q4',
    );
    // Category 10: finals 500 (auction 1000) and 251 (1001). Category 11: 333 (1003 has no final).
    assertSameRows(rows, [
      { category: 10, avg: 375.5 },
      { category: 11, avg: 333 },
    ]);
  });

  test('q5: hot items per hopping window, ties kept, only closed windows', async () => {
    const rows = await runQuery(
      [
        bid({ auction: 1001, bidder: 1, price: 1, dateTime: T + 1000 }),
        bid({ auction: 1001, bidder: 1, price: 1, dateTime: T + 2500 }),
        bid({ auction: 1002, bidder: 1, price: 1, dateTime: T + 2600 }),
        bid({ auction: 1002, bidder: 1, price: 1, dateTime: T + 9000 }),
        bid({ auction: 1003, bidder: 1, price: 1, dateTime: T + 11_000 }),
      ],
      'q5',
      { watermark: T + 14_000 },
    );
    // Windows [s, s + 10 s) with s = T - 8 s ... T + 4 s are closed (end <= T + 14 s).
    const w = (auction: number, num: number, s: number) => ({
      auction,
      num,
      starttime: T + s,
      endtime: T + s + 10_000,
    });
    assertSameRows(rows, [
      w(1001, 1, -8000),
      w(1001, 2, -6000),
      w(1001, 2, -4000),
      w(1001, 2, -2000),
      w(1001, 2, 0),
      w(1002, 2, 0),
      w(1002, 2, 2000),
      w(1002, 1, 4000),
      w(1003, 1, 4000),
    ]);
  });

  test('q6: average of the last 10 closed winning prices per seller', async () => {
    const events: NexmarkEvent[] = [];
    // Seller 500: auctions 2001..2012 with winning price 10 * i; 2002 and 2003 expire together, so
    // the ordering (expires, id) puts 2003 after 2002 and the last 10 are 2003..2012.
    for (let i = 1; i <= 12; i++) {
      const expires = i === 3 ? T + 2000 : T + 1000 * i;
      events.push(auction({ id: 2000 + i, seller: 500, dateTime: T, expires }));
      events.push(bid({ auction: 2000 + i, bidder: 1, price: 10 * i, dateTime: T + 500 }));
    }
    events.push(bid({ auction: 2012, bidder: 2, price: 5, dateTime: T + 600 }));
    // Not closed at the watermark: ignored.
    events.push(auction({ id: 2013, seller: 500, dateTime: T, expires: T + 20_000 }));
    events.push(bid({ auction: 2013, bidder: 1, price: 1_000_000, dateTime: T + 500 }));
    // Closed, but its only bid came after it expired: no winner, so it is not one of the 10.
    events.push(auction({ id: 2014, seller: 500, dateTime: T, expires: T + 5500 }));
    events.push(bid({ auction: 2014, bidder: 1, price: 1, dateTime: T + 6000 }));
    // Seller 600: one auction, the higher of two in-time bids wins; a late bid does not count.
    events.push(auction({ id: 2100, seller: 600, dateTime: T, expires: T + 3000 }));
    events.push(bid({ auction: 2100, bidder: 1, price: 70, dateTime: T + 100 }));
    events.push(bid({ auction: 2100, bidder: 1, price: 90, dateTime: T + 200 }));
    events.push(bid({ auction: 2100, bidder: 1, price: 1000, dateTime: T + 3001 }));
    const rows = await runQuery(events, 'q6', { watermark: T + 15_000 });
    // (30 + 40 + ... + 120) / 10 = 75.
    assertSameRows(rows, [
      { seller: 500, avg: 75 },
      { seller: 600, avg: 90 },
    ]);
  });

  test('q7: highest bids per closed tumbling window, [start, end)', async () => {
    const rows = await runQuery(
      [
        bid({ auction: 1, bidder: 1, price: 100, dateTime: T + 1000, extra: 'e1' }),
        bid({ auction: 2, bidder: 2, price: 300, dateTime: T + 5000, extra: 'e2' }),
        bid({ auction: 3, bidder: 3, price: 300, dateTime: T + 9999, extra: 'e3' }),
        // At the first window's end: belongs to the second window only.
        bid({ auction: 4, bidder: 4, price: 300, dateTime: T + 10_000, extra: 'e4' }),
        bid({ auction: 5, bidder: 5, price: 500, dateTime: T + 12_000, extra: 'e5' }),
        bid({ auction: 6, bidder: 6, price: 500, dateTime: T + 15_000, extra: 'e6' }),
        // Third window [T + 20 s, T + 30 s) is not closed at T + 21 s.
        bid({ auction: 7, bidder: 7, price: 999, dateTime: T + 25_000, extra: 'e7' }),
      ],
      'q7',
      { watermark: T + 21_000 },
    );
    assertSameRows(rows, [
      { auction: 2, price: 300, bidder: 2, dateTime: T + 5000, extra: 'e2' },
      { auction: 3, price: 300, bidder: 3, dateTime: T + 9999, extra: 'e3' },
      { auction: 5, price: 500, bidder: 5, dateTime: T + 12_000, extra: 'e5' },
      { auction: 6, price: 500, bidder: 6, dateTime: T + 15_000, extra: 'e6' },
    ]);
  });

  test('q8: people who opened an auction in the window they appeared in', async () => {
    const rows = await runQuery(
      [
        person({ id: 1000, name: 'Ann', dateTime: T + 1000 }),
        auction({ id: 1, seller: 1000, dateTime: T + 2000 }),
        auction({ id: 2, seller: 1000, dateTime: T + 3000 }),
        person({ id: 1001, name: 'Bob', dateTime: T + 9000 }),
        auction({ id: 3, seller: 1001, dateTime: T + 10_500 }),
        auction({ id: 4, seller: 1002, dateTime: T + 15_000 }),
        auction({ id: 5, seller: 1002, dateTime: T + 9000 }),
        person({ id: 1002, name: 'Cid', dateTime: T + 12_000 }),
        person({ id: 1003, name: 'Dee', dateTime: T + 21_000 }),
        auction({ id: 6, seller: 1003, dateTime: T + 22_000 }),
        auction({ id: 7, seller: 9999, dateTime: T + 1000 }),
      ],
      'q8',
      { watermark: T + 25_000 },
    );
    assertSameRows(rows, [
      { id: 1000, name: 'Ann', starttime: T },
      { id: 1002, name: 'Cid', starttime: T + 10_000 },
    ]);
  });

  test('q9: winning bid per auction, ties by time then stream order', async () => {
    const a1000 = auction({ id: 1000, seller: 1, dateTime: T, expires: T + 5000 });
    const a1001 = auction({ id: 1001, seller: 1, dateTime: T, expires: T + 5000 });
    const a1002 = auction({ id: 1002, seller: 1, dateTime: T, expires: T + 5000 });
    const a1003 = auction({ id: 1003, seller: 1, dateTime: T + 1000, expires: T + 4000 });
    const win1000 = bid({ auction: 1000, bidder: 2, price: 200, dateTime: T + 2000, extra: 'b2' });
    const win1001 = bid({ auction: 1001, bidder: 5, price: 50, dateTime: T + 1000, extra: 'b5' });
    const win1003 = bid({ auction: 1003, bidder: 8, price: 50, dateTime: T + 4000, extra: 'b8' });
    const rows = await runQuery(
      [
        a1000,
        a1001,
        a1002,
        a1003,
        bid({ auction: 1000, bidder: 1, price: 100, dateTime: T + 1000 }),
        bid({ auction: 1000, bidder: 3, price: 200, dateTime: T + 3000 }),
        win1000,
        bid({ auction: 1000, bidder: 4, price: 999, dateTime: T + 6000 }),
        win1001,
        bid({ auction: 1001, bidder: 6, price: 50, dateTime: T + 1000, extra: 'b6' }),
        bid({ auction: 1003, bidder: 7, price: 80, dateTime: T + 999 }),
        win1003,
        bid({ auction: 1003, bidder: 9, price: 40, dateTime: T + 2000 }),
      ],
      'q9',
    );
    const row = (a: Auction, b: Bid): Row => ({
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
    assertSameRows(rows, [row(a1000, win1000), row(a1001, win1001), row(a1003, win1003)]);
  });

  test('q11: sessions per bidder, a gap of exactly 10 s splits, only closed sessions', async () => {
    const rows = await runQuery(
      [
        bid({ auction: 1, bidder: 1, price: 1, dateTime: T }),
        bid({ auction: 1, bidder: 1, price: 1, dateTime: T + 14_999 }),
        bid({ auction: 1, bidder: 1, price: 1, dateTime: T + 5000 }),
        bid({ auction: 1, bidder: 1, price: 1, dateTime: T + 24_999 }),
        bid({ auction: 1, bidder: 1, price: 1, dateTime: T + 30_000 }),
        bid({ auction: 1, bidder: 2, price: 1, dateTime: T + 1000 }),
        bid({ auction: 1, bidder: 3, price: 1, dateTime: T + 40_000 }),
        bid({ auction: 1, bidder: 4, price: 1, dateTime: T + 35_000 }),
      ],
      'q11',
      { watermark: T + 40_000 },
    );
    assertSameRows(rows, [
      { bidder: 1, bid_count: 3, starttime: T, endtime: T + 24_999 },
      { bidder: 1, bid_count: 2, starttime: T + 24_999, endtime: T + 40_000 },
      { bidder: 2, bid_count: 1, starttime: T + 1000, endtime: T + 11_000 },
    ]);
  });

  test('q14: price band, UTC time-of-day class and c count', async () => {
    const hour = 3_600_000;
    const rows = await runQuery(
      [
        bid({ auction: 1, bidder: 1, price: 1_101_322, dateTime: T + 7 * hour, extra: 'abcacc' }),
        bid({ auction: 2, bidder: 1, price: 1_101_321, dateTime: T + 8 * hour }), // 999 999.468: out
        bid({ auction: 3, bidder: 1, price: 55_066_079, dateTime: T + 8 * hour }),
        bid({ auction: 4, bidder: 1, price: 55_066_080, dateTime: T + 8 * hour }), // 50 000 000.64: out
        bid({ auction: 5, bidder: 1, price: 2_000_000, dateTime: T + 19 * hour - 1, extra: 'C' }),
        bid({ auction: 6, bidder: 1, price: 2_000_000, dateTime: T + 19 * hour }),
        bid({ auction: 7, bidder: 1, price: 2_000_000, dateTime: T + 7 * hour - 1 }),
        bid({ auction: 8, bidder: 1, price: 2_000_000, dateTime: T + 20 * hour }),
      ],
      'q14',
    );
    const row = (
      auction: number,
      price: number,
      bidTimeType: string,
      dateTime: number,
      extra = '',
      c_counts = 0,
    ) => ({
      auction,
      bidder: 1,
      price,
      bidTimeType,
      dateTime,
      extra,
      c_counts,
    });
    assertSameRows(rows, [
      row(1, 1_000_000.376, 'otherTime', T + 7 * hour, 'abcacc', 3),
      row(3, 49_999_999.732, 'dayTime', T + 8 * hour),
      row(5, 1_816_000, 'dayTime', T + 19 * hour - 1, 'C', 0),
      row(6, 1_816_000, 'otherTime', T + 19 * hour),
      row(7, 1_816_000, 'nightTime', T + 7 * hour - 1),
      row(8, 1_816_000, 'nightTime', T + 20 * hour),
    ]);
  });

  test('q15/q16/q17: per-day statistics with price-rank boundaries', async () => {
    const day2 = T + 86_400_000;
    const events = [
      bid({ auction: 1, bidder: 1, price: 9999, dateTime: T + 60_000, channel: 'Google' }),
      bid({ auction: 1, bidder: 2, price: 10_000, dateTime: T + 120_000, channel: 'Google' }),
      bid({ auction: 2, bidder: 1, price: 999_999, dateTime: T + 3_600_000, channel: 'Apple' }),
      bid({ auction: 2, bidder: 1, price: 1_000_000, dateTime: T + 3_660_000, channel: 'Google' }),
      bid({ auction: 1, bidder: 3, price: 1, dateTime: day2 + 1, channel: 'Google' }),
    ];
    const counts = (bids: number[], bidders: number[], auctions: number[]) => ({
      total_bids: bids[0],
      rank1_bids: bids[1],
      rank2_bids: bids[2],
      rank3_bids: bids[3],
      total_bidders: bidders[0],
      rank1_bidders: bidders[1],
      rank2_bidders: bidders[2],
      rank3_bidders: bidders[3],
      total_auctions: auctions[0],
      rank1_auctions: auctions[1],
      rank2_auctions: auctions[2],
      rank3_auctions: auctions[3],
    });
    assertSameRows(await runQuery(events, 'q15'), [
      { day: '2025-01-01', ...counts([4, 1, 2, 1], [2, 1, 2, 1], [2, 1, 2, 1]) },
      { day: '2025-01-02', ...counts([1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]) },
    ]);
    assertSameRows(await runQuery(events, 'q16'), [
      {
        channel: 'Google',
        day: '2025-01-01',
        minute: '01:01',
        ...counts([3, 1, 1, 1], [2, 1, 1, 1], [2, 1, 1, 1]),
      },
      {
        channel: 'Apple',
        day: '2025-01-01',
        minute: '01:00',
        ...counts([1, 0, 1, 0], [1, 0, 1, 0], [1, 0, 1, 0]),
      },
      {
        channel: 'Google',
        day: '2025-01-02',
        minute: '00:00',
        ...counts([1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]),
      },
    ]);
    const stats = (bids: number[], min: number, max: number, avg: number, sum: number) => ({
      total_bids: bids[0],
      rank1_bids: bids[1],
      rank2_bids: bids[2],
      rank3_bids: bids[3],
      min_price: min,
      max_price: max,
      avg_price: avg,
      sum_price: sum,
    });
    assertSameRows(await runQuery(events, 'q17'), [
      { auction: 1, day: '2025-01-01', ...stats([2, 1, 1, 0], 9999, 10_000, 9999.5, 19_999) },
      { auction: 2, day: '2025-01-01', ...stats([2, 0, 1, 1], 999_999, 1_000_000, 999_999.5, 1_999_999) },
      { auction: 1, day: '2025-01-02', ...stats([1, 1, 0, 0], 1, 1, 1, 1) },
    ]);
  });

  test('q18: last bid per (bidder, auction), equal times resolved by stream order', async () => {
    const latest1 = bid({ auction: 10, bidder: 1, price: 3, dateTime: T + 3000 });
    const latest2 = bid({ auction: 10, bidder: 2, price: 8, dateTime: T + 4000 });
    const only = bid({ auction: 11, bidder: 1, price: 9, dateTime: T + 500 });
    const rows = await runQuery(
      [
        bid({ auction: 10, bidder: 1, price: 1, dateTime: T + 1000 }),
        latest1,
        bid({ auction: 10, bidder: 1, price: 2, dateTime: T + 2000 }),
        bid({ auction: 10, bidder: 2, price: 7, dateTime: T + 4000 }),
        latest2,
        only,
      ],
      'q18',
    );
    assertSameRows(rows, [bidColumns(latest1), bidColumns(latest2), bidColumns(only)]);
  });

  test('q19: top 10 bids per auction, equal prices ranked by stream order', async () => {
    const prices = [5, 9, 9, 1, 7, 3, 8, 2, 6, 4, 10, 0];
    const bids = prices.map((price, i) => bid({ auction: 10, bidder: 100 + i, price, dateTime: T + i }));
    bids.push(bid({ auction: 20, bidder: 200, price: 50, dateTime: T }));
    bids.push(bid({ auction: 20, bidder: 201, price: 60, dateTime: T }));
    const rows = await runQuery(bids, 'q19');
    // [bidder, rank_number], worked out from the prices above.
    const ranking: Array<[number, number]> = [
      [110, 1],
      [101, 2],
      [102, 3],
      [106, 4],
      [104, 5],
      [108, 6],
      [100, 7],
      [109, 8],
      [105, 9],
      [107, 10],
      [201, 1],
      [200, 2],
    ];
    const byBidder = new Map(bids.map((b) => [b.bidder, b]));
    assertSameRows(
      rows,
      ranking.map(([bidder, rank_number]) => ({ ...bidColumns(byBidder.get(bidder)!), rank_number })),
    );
  });

  test('q19 tie-breaks follow file order across a large file (seq is file order)', async () => {
    // Blocks of 11 consecutive bids with equal price per auction: the top 10 are the first 10 of each
    // block. A seq that did not follow the file would reorder a block that straddles a read chunk.
    const blocks = 10_000;
    const lines: string[] = [];
    for (let i = 0; i < blocks * 11; i++) {
      const b = bid({
        auction: Math.floor(i / 11),
        bidder: i,
        price: 5,
        dateTime: T + i,
        extra: 'x'.repeat(40),
      });
      lines.push(JSON.stringify(b));
    }
    const path = join(dir, 'large.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const oracle = await openNexmarkOracle(path);
    try {
      const rows = await oracle.query('q19', { watermark: T });
      assert.equal(rows.length, blocks * 10);
      const wrong = rows.filter(
        (r) => (r.bidder as number) !== (r.auction as number) * 11 + (r.rank_number as number) - 1,
      );
      assert.deepEqual(wrong.slice(0, 3), []);
    } finally {
      oracle.close();
    }
  });

  test('q21: channel ids from the hot channels or the url; no match is not an empty id', async () => {
    const base = 'https://www.nexmark.com/abc/def/ghi/item.htm?query=1';
    const rows = await runQuery(
      [
        bid({ auction: 1, bidder: 1, price: 1, channel: 'Apple', url: base }),
        bid({ auction: 2, bidder: 1, price: 1, channel: 'GOOGLE', url: base }),
        bid({ auction: 3, bidder: 1, price: 1, channel: 'channel-5', url: `${base}&channel_id=12345` }),
        bid({ auction: 4, bidder: 1, price: 1, channel: 'channel-6', url: base }),
        bid({ auction: 5, bidder: 1, price: 1, channel: 'channel-7', url: `${base}&channel_id=` }),
        bid({ auction: 6, bidder: 1, price: 1, channel: 'channel-8', url: 'channel_id=77&x=1' }),
        bid({ auction: 7, bidder: 1, price: 1, channel: 'Baidu', url: `${base}&channel_id=5` }),
        bid({ auction: 8, bidder: 1, price: 1, channel: 'channel-9', url: `${base}&xchannel_id=5` }),
        bid({ auction: 9, bidder: 1, price: 1, channel: 'facebook', url: base }),
      ],
      'q21',
    );
    const row = (auction: number, channel: string, channel_id: string) => ({
      auction,
      bidder: 1,
      price: 1,
      channel,
      channel_id,
    });
    assertSameRows(rows, [
      row(1, 'Apple', '0'),
      row(2, 'GOOGLE', '1'),
      row(3, 'channel-5', '12345'),
      row(5, 'channel-7', ''),
      row(6, 'channel-8', '77'),
      row(7, 'Baidu', '3'),
      row(9, 'facebook', '2'),
    ]);
  });

  test('q22: 0-based url parts 3..5, empty parts kept, out of range is NULL', async () => {
    const rows = await runQuery(
      [
        bid({ auction: 1, bidder: 1, price: 1, url: 'https://www.nexmark.com/a/b/c/item.htm?query=1' }),
        bid({ auction: 2, bidder: 1, price: 1, url: 'https://www.nexmark.com/only' }),
        bid({ auction: 3, bidder: 1, price: 1, url: 'https://x.com/p//q' }),
        bid({ auction: 4, bidder: 1, price: 1, url: 'no-slashes' }),
      ],
      'q22',
    );
    const row = (auction: number, dir1: string | null, dir2: string | null, dir3: string | null) => ({
      auction,
      bidder: 1,
      price: 1,
      channel: 'Google',
      dir1,
      dir2,
      dir3,
    });
    assertSameRows(rows, [
      row(1, 'a', 'b', 'c'),
      row(2, 'only', null, null),
      row(3, 'p', '', 'q'),
      row(4, null, null, null),
    ]);
  });

  test('q23: every (bid, bidder as person, auction the bidder sells) triple', async () => {
    const ann = person({ id: 1000, name: 'Ann', extra: 'pa' });
    const bob = person({ id: 1001, name: 'Bob' });
    const a1 = auction({ id: 2000, seller: 1000 });
    const a2 = auction({ id: 2001, seller: 1000 });
    const a3 = auction({ id: 2002, seller: 1002 });
    const b1 = bid({ auction: 2002, bidder: 1000, price: 10, extra: 'b1' });
    const b2 = bid({ auction: 9999, bidder: 1000, price: 20, extra: 'b2' });
    const b3 = bid({ auction: 2000, bidder: 1001, price: 30 });
    const b4 = bid({ auction: 2000, bidder: 1002, price: 40 });
    const rows = await runQuery([b1, ann, bob, a1, b2, b3, a3, b4, a2], 'q23');
    const row = (b: Bid, p: Person, a: Auction): Row => ({
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
    });
    assertSameRows(rows, [row(b1, ann, a1), row(b1, ann, a2), row(b2, ann, a1), row(b2, ann, a2)]);
  });
});
