import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isEngineError } from '../model/index.ts';
import { nexmarkBinarySerde as serde } from './nexmark-binary-serde.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './nexmark-event.ts';
import { NexmarkGenerator } from './nexmark-generator.ts';

function generate(count: number, seed: number): NexmarkEvent[] {
  const generator = new NexmarkGenerator({ events: count, seed });
  const events: NexmarkEvent[] = [];
  while (generator.hasNext()) events.push(generator.next());
  return events;
}

function rejects(bytes: Uint8Array, message?: string): void {
  assert.throws(
    () => serde.decode(bytes),
    (error: unknown) => isEngineError(error, 'INVALID_RECORD'),
    message ?? `decoding ${Buffer.from(bytes).toString('hex')}`,
  );
}

function refusesToEncode(event: unknown, pattern: RegExp): void {
  assert.throws(
    () => serde.encode(event as NexmarkEvent),
    (error: unknown) => isEngineError(error, 'INVALID_RECORD') && pattern.test(error.message),
  );
}

const person: Person = {
  type: 'person',
  id: 1001,
  name: 'Peter Shultz',
  emailAddress: 'abcdef@xyz.com',
  creditCard: '1234 5678 9012 3456',
  city: 'Boise',
  state: 'ID',
  dateTime: 1_735_689_600_123,
  extra: 'padding',
};
const auction: Auction = {
  type: 'auction',
  id: 1002,
  itemName: 'Grüße, 世界 😀',
  description: 'long '.repeat(40),
  initialBid: 150,
  reserve: 2_000_000,
  dateTime: 1_735_689_600_124,
  expires: 1_735_689_601_000,
  seller: 1001,
  category: 12,
  extra: '',
};
const bid: Bid = {
  type: 'bid',
  auction: 1002,
  bidder: 2001,
  price: 99_999_999,
  channel: 'Google',
  url: 'https://www.nexmark.com/abc/def/ghi/item.htm?query=1',
  dateTime: 1_735_689_600_125,
  extra: 'x'.repeat(70),
};

// Any safe integer, with the varint boundaries (6 bits in the first byte, then 7 per byte) favoured.
const boundaries = [0, 1, 63, 64, 8191, 8192, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 52, 2 ** 53 - 1];
const int = fc.oneof(
  fc.maxSafeInteger(),
  fc.constantFrom(...boundaries, ...boundaries.map((n) => -n).filter((n) => n !== 0)),
  fc.integer({ min: -200, max: 200 }),
);
// ASCII (latin1 path), any Unicode code point (UTF-8 path), and lengths across the 1-byte header limit.
const text = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ minLength: 60, maxLength: 70 }),
);
// fc.record builds null-prototype objects; decode returns plain ones.
const arbitraryEvent: fc.Arbitrary<NexmarkEvent> = fc
  .oneof(
    fc.record({
      type: fc.constant('person' as const),
      id: int,
      name: text,
      emailAddress: text,
      creditCard: text,
      city: text,
      state: text,
      dateTime: int,
      extra: text,
    }),
    fc.record({
      type: fc.constant('auction' as const),
      id: int,
      itemName: text,
      description: text,
      initialBid: int,
      reserve: int,
      dateTime: int,
      expires: int,
      seller: int,
      category: int,
      extra: text,
    }),
    fc.record({
      type: fc.constant('bid' as const),
      auction: int,
      bidder: int,
      price: int,
      channel: text,
      url: text,
      dateTime: int,
      extra: text,
    }),
  )
  .map((event): NexmarkEvent => ({ ...event }));

describe('nexmarkBinarySerde', () => {
  it('round-trips 100k generated events, encoded all first (no encoding overwrites another)', () => {
    const events = generate(100_000, 3);
    const encoded = events.map((e) => serde.encode(e));
    const tags = { person: 0, auction: 1, bid: 2 };
    for (let i = 0; i < events.length; i++) {
      assert.equal(encoded[i]![0], tags[events[i]!.type]);
      assert.deepEqual(serde.decode(encoded[i]!), events[i], `event ${i}`);
    }
  });

  it('round-trips arbitrary events: any safe integer, any well-formed string', () => {
    fc.assert(
      fc.property(arbitraryEvent, (event) => {
        const bytes = serde.encode(event);
        assert.deepEqual(serde.decode(bytes), event);
        // And from a plain Uint8Array view at an offset inside a bigger buffer (read in place).
        const host = new Uint8Array(bytes.length + 7);
        host.set(bytes, 3);
        assert.deepEqual(serde.decode(host.subarray(3, 3 + bytes.length)), event);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes ASCII strings one byte per char and others as flagged UTF-8', () => {
    const ascii = serde.encode({ ...person, name: 'Ab' });
    // tag, id 1001 (2 bytes), then the name: header 2 * 2 + 0, 'A', 'b'.
    assert.deepEqual([...ascii.subarray(3, 6)], [4, 0x41, 0x62]);
    const utf8 = serde.encode({ ...person, name: 'é' });
    assert.deepEqual([...utf8.subarray(3, 6)], [2 * 2 + 1, 0xc3, 0xa9]);
    // A non-ASCII string whose UTF-8 header takes more bytes than the ASCII guess (63 units -> 126 bytes).
    const long = 'é'.repeat(63);
    assert.deepEqual(serde.decode(serde.encode({ ...bid, url: long })), { ...bid, url: long });
  });

  it('rejects every truncation, an unknown tag, trailing bytes and malformed fields with INVALID_RECORD', () => {
    for (const event of [person, auction, bid, ...generate(50, 9)]) {
      const bytes = serde.encode(event);
      for (let length = 0; length < bytes.length; length++)
        rejects(bytes.subarray(0, length), `${event.type} cut to ${length} of ${bytes.length} bytes`);
      rejects(Buffer.concat([bytes, Buffer.from([0])]), `${event.type} with a trailing byte`);
    }
    const good = serde.encode(bid);
    for (const tag of [3, 7, 0x80, 0xff]) rejects(Buffer.concat([Buffer.from([tag]), good.subarray(1)]));
    // An integer of 9 varint bytes, a varint past 2^53, and -0 (sign bit set, magnitude 0).
    rejects(Buffer.from([2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]));
    rejects(Buffer.from([2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]));
    rejects(Buffer.concat([Buffer.from([2, 0x01]), good.subarray(3)]));
    // A UTF-8-flagged string that is not UTF-8.
    const badUtf8 = Buffer.from(serde.encode({ ...bid, channel: 'é' }));
    const channelAt = badUtf8.indexOf(0xc3);
    badUtf8[channelAt] = 0xff;
    rejects(badUtf8);
  });

  it('refuses to encode what it could not decode back', () => {
    refusesToEncode({ ...bid, price: 1.5 }, /price must be a safe integer/);
    refusesToEncode({ ...bid, price: 2 ** 53 }, /price must be a safe integer/);
    refusesToEncode({ ...bid, dateTime: Number.NaN }, /dateTime must be a safe integer/);
    refusesToEncode({ ...person, name: 42 }, /name must be a string/);
    refusesToEncode({ ...auction, extra: 'a\ud800b' }, /extra has a lone surrogate/);
    refusesToEncode({ ...auction, extra: '\udc00' }, /extra has a lone surrogate/);
    refusesToEncode({ type: 'other' }, /unknown event type other/);
    refusesToEncode(null, /unknown event type/);
    // A failed encoding leaves nothing behind: the next one is whole.
    assert.deepEqual(serde.decode(serde.encode(bid)), bid);
  });

  it('is smaller than JSON', () => {
    const events = generate(20_000, 5);
    const sizes = new Map<string, { binary: number; json: number; count: number }>();
    for (const event of events) {
      const size = sizes.get(event.type) ?? { binary: 0, json: 0, count: 0 };
      size.binary += serde.encode(event).length;
      size.json += Buffer.byteLength(JSON.stringify(event));
      size.count++;
      sizes.set(event.type, size);
    }
    let binary = 0;
    let json = 0;
    for (const [type, size] of sizes) {
      const perBinary = size.binary / size.count;
      const perJson = size.json / size.count;
      console.log(
        `${type}: binary ${perBinary.toFixed(1)} B, JSON ${perJson.toFixed(1)} B per event (${((100 * perBinary) / perJson).toFixed(0)} %)`,
      );
      assert.ok(perBinary < perJson, type);
      binary += size.binary;
      json += size.json;
    }
    console.log(
      `all: binary ${(binary / events.length).toFixed(1)} B, JSON ${(json / events.length).toFixed(1)} B per event`,
    );
    assert.ok(binary < json * 0.7, `binary ${binary} vs JSON ${json}`);
  });
});
