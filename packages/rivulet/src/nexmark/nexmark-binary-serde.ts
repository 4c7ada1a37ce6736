/**
 * A compact binary value format for Nexmark events, for topics where JSON's parse cost dominates.
 *
 * Layout: one tag byte (0 person, 1 auction, 2 bid), then the kind's fields in the order of
 * nexmark-event.ts, `type` excepted:
 * - an integer field (id, price, time...) is a varint of `2 * |n| + sign` (zigzag for n >= 0): 7 bits
 *   per byte, low group first, high bit = more follows. Any safe integer fits in at most 8 bytes; the
 *   generator's values take 1-6 bytes (a dateTime 6) instead of float64's 8;
 * - a string field is a varint `byteLength * 2 + utf8`, then the bytes: latin1 (one byte per char) when
 *   every char is below 0x80 (`utf8` = 0; all generator strings), else UTF-8 (`utf8` = 1).
 * Nothing else: no field names, no version byte (the tag values left, 3-255, are free for a next
 * version).
 *
 * Encoding writes each event once, straight into a shared 64 KiB slab (as Node's Buffer pool does), and
 * returns one Buffer: a view of exactly its bytes. Decoding reads the input in place, without a copy
 * (the strings and the event object are the only allocations).
 *
 * Bytes that are not exactly one event are INVALID_RECORD: truncated, an unknown tag, an integer of
 * more than 8 bytes or beyond 2^53 - 1, a negative zero, invalid UTF-8, trailing bytes. (A latin1
 * string's bytes are taken as they are, not checked to be below 0x80.) Encoding refuses, with
 * INVALID_RECORD too, an integer field that is not a safe integer, a string field that is not a string,
 * and a string with a lone surrogate (it has no UTF-8 form). -0 is written as 0.
 */
import { isUtf8 } from 'node:buffer';
import { EngineError, type Serde } from '../model/index.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './nexmark-event.ts';

const PERSON = 0;
const AUCTION = 1;
const BID = 2;

/** Bytes of the longest varint: 6 + 7 * 7 bits >= 53. */
const MAX_VARINT_BYTES = 8;
const TWO_POW_31 = 2 ** 31;
/** ASCII strings shorter than this are written char by char (cheaper than a native call). */
const SHORT_STRING = 24;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function invalid(message: string): EngineError {
  return new EngineError('INVALID_RECORD', `nexmark binary: ${message}`);
}

/** Bytes of an unsigned varint. */
function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let size = 5;
  for (let rest = Math.floor(v / 2 ** 35); rest > 0; rest = Math.floor(rest / 128)) size++;
  return size;
}

function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = value;
  while (v >= TWO_POW_31) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/**
 * Integer `n` as `2 * |n| + sign` in varint form, built without computing that value (which may
 * exceed 2^53): the first byte holds the sign and the low 6 bits of |n|. For n >= 0 this is zigzag.
 */
function writeInt(buf: Buffer, pos: number, n: number): number {
  const negative = n < 0;
  const m = negative ? -n : n;
  const first = ((m % 64) << 1) | (negative ? 1 : 0);
  if (m < 64) {
    buf[pos] = first;
    return pos + 1;
  }
  buf[pos] = first | 0x80;
  return writeVarint(buf, pos + 1, Math.floor(m / 64));
}

/**
 * Encoded events are cut from a shared slab, as Node's Buffer pool does for small buffers: an event is
 * written once, straight into its place (no sizing pass over the strings, no copy), and handed out as
 * a view of its exact bytes. A slab lives as long as one of its views.
 */
const SLAB_BYTES = 64 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabUsed = 0;

/** Bytes an integer field may take. */
const INT_BOUND = MAX_VARINT_BYTES;

/** The most bytes string field `s` may take (header + 3 UTF-8 bytes per UTF-16 unit). */
function stringBound(s: string, field: string): number {
  if (typeof s !== 'string') throw invalid(`${field} must be a string, got ${typeof s}`);
  return MAX_VARINT_BYTES + s.length * 3;
}

function checkInt(n: number, field: string): void {
  if (!Number.isSafeInteger(n)) throw invalid(`${field} must be a safe integer, got ${String(n)}`);
}

/** The slab with room for `bound` bytes at `slabUsed`. */
function slabFor(bound: number): Buffer {
  if (slabUsed + bound > slab.length) {
    slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, bound));
    slabUsed = 0;
  }
  return slab;
}

/** Hands out the event written at [slabUsed, end). */
function cut(buf: Buffer, end: number): Buffer {
  const start = slabUsed;
  // The next event starts 8-aligned, as in Node's pool.
  slabUsed = end + ((8 - (end % 8)) % 8);
  return buf.subarray(start, end);
}

/**
 * Writes string `s` at `pos`, guessing it is ASCII (header = 2 * length). UTF-8 takes one byte per
 * UTF-16 unit exactly when every char is below 0x80; otherwise the bytes are UTF-8 and, when the longer
 * header needs more bytes than the guess, they move up. Room: stringBound(s).
 */
function writeString(buf: Buffer, pos: number, s: string, field: string): number {
  const length = s.length;
  const guess = varintSize(length * 2);
  const at = pos + guess;
  let written = 0;
  if (length < SHORT_STRING) {
    while (written < length) {
      const c = s.charCodeAt(written);
      if (c >= 0x80) break;
      buf[at + written++] = c;
    }
    if (written < length) written = buf.write(s, at, 'utf8');
  } else written = buf.write(s, at, 'utf8');
  if (written === length) {
    writeVarint(buf, pos, length * 2);
    return at + length;
  }
  if (LONE_SURROGATE.test(s)) throw invalid(`${field} has a lone surrogate, which has no UTF-8 form`);
  const head = written * 2 + 1;
  const headSize = varintSize(head);
  if (headSize !== guess) buf.copyWithin(pos + headSize, at, at + written);
  writeVarint(buf, pos, head);
  return pos + headSize + written;
}

function encodePerson(p: Person): Buffer {
  checkInt(p.id, 'id');
  checkInt(p.dateTime, 'dateTime');
  const bound =
    1 +
    2 * INT_BOUND +
    stringBound(p.name, 'name') +
    stringBound(p.emailAddress, 'emailAddress') +
    stringBound(p.creditCard, 'creditCard') +
    stringBound(p.city, 'city') +
    stringBound(p.state, 'state') +
    stringBound(p.extra, 'extra');
  const buf = slabFor(bound);
  buf[slabUsed] = PERSON;
  let pos = writeInt(buf, slabUsed + 1, p.id);
  pos = writeString(buf, pos, p.name, 'name');
  pos = writeString(buf, pos, p.emailAddress, 'emailAddress');
  pos = writeString(buf, pos, p.creditCard, 'creditCard');
  pos = writeString(buf, pos, p.city, 'city');
  pos = writeString(buf, pos, p.state, 'state');
  pos = writeInt(buf, pos, p.dateTime);
  pos = writeString(buf, pos, p.extra, 'extra');
  return cut(buf, pos);
}

function encodeAuction(a: Auction): Buffer {
  checkInt(a.id, 'id');
  checkInt(a.initialBid, 'initialBid');
  checkInt(a.reserve, 'reserve');
  checkInt(a.dateTime, 'dateTime');
  checkInt(a.expires, 'expires');
  checkInt(a.seller, 'seller');
  checkInt(a.category, 'category');
  const bound =
    1 +
    7 * INT_BOUND +
    stringBound(a.itemName, 'itemName') +
    stringBound(a.description, 'description') +
    stringBound(a.extra, 'extra');
  const buf = slabFor(bound);
  buf[slabUsed] = AUCTION;
  let pos = writeInt(buf, slabUsed + 1, a.id);
  pos = writeString(buf, pos, a.itemName, 'itemName');
  pos = writeString(buf, pos, a.description, 'description');
  pos = writeInt(buf, pos, a.initialBid);
  pos = writeInt(buf, pos, a.reserve);
  pos = writeInt(buf, pos, a.dateTime);
  pos = writeInt(buf, pos, a.expires);
  pos = writeInt(buf, pos, a.seller);
  pos = writeInt(buf, pos, a.category);
  pos = writeString(buf, pos, a.extra, 'extra');
  return cut(buf, pos);
}

function encodeBid(b: Bid): Buffer {
  checkInt(b.auction, 'auction');
  checkInt(b.bidder, 'bidder');
  checkInt(b.price, 'price');
  checkInt(b.dateTime, 'dateTime');
  const bound =
    1 +
    4 * INT_BOUND +
    stringBound(b.channel, 'channel') +
    stringBound(b.url, 'url') +
    stringBound(b.extra, 'extra');
  const buf = slabFor(bound);
  buf[slabUsed] = BID;
  let pos = writeInt(buf, slabUsed + 1, b.auction);
  pos = writeInt(buf, pos, b.bidder);
  pos = writeInt(buf, pos, b.price);
  pos = writeString(buf, pos, b.channel, 'channel');
  pos = writeString(buf, pos, b.url, 'url');
  pos = writeInt(buf, pos, b.dateTime);
  pos = writeString(buf, pos, b.extra, 'extra');
  return cut(buf, pos);
}

/** Reads one event's bytes in place; every read checks the bounds. */
class Reader {
  readonly buf: Buffer;
  pos = 1;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  /** An integer field: sign and 6 bits, then 7 bits per byte. */
  int(): number {
    const buf = this.buf;
    const end = buf.length;
    const at = this.pos;
    if (at >= end) throw invalid(`truncated: ${end} bytes end before an integer`);
    let b = buf[at]!;
    const negative = (b & 1) === 1;
    let m = (b & 0x7f) >>> 1;
    let pos = at + 1;
    if (b >= 0x80) {
      let scale = 64;
      for (let i = 1; ; i++) {
        if (pos >= end) throw invalid(`truncated: ${end} bytes end inside an integer`);
        if (i === MAX_VARINT_BYTES) throw invalid(`the integer at byte ${at} has more than ${i} bytes`);
        b = buf[pos++]!;
        m += (b & 0x7f) * scale;
        if (b < 0x80) break;
        scale *= 128;
      }
      if (m > Number.MAX_SAFE_INTEGER) throw invalid(`the integer at byte ${at} is not a safe integer`);
    }
    this.pos = pos;
    if (!negative) return m;
    if (m === 0) throw invalid(`the integer at byte ${at} is -0`);
    return -m;
  }

  string(): string {
    const at = this.pos;
    const head = this.#head();
    const bytes = Math.floor(head / 2);
    const start = this.pos;
    const end = start + bytes;
    const buf = this.buf;
    if (end > buf.length)
      throw invalid(`truncated: the ${bytes}-byte string at byte ${at} ends past byte ${buf.length}`);
    this.pos = end;
    if (head % 2 === 0) return buf.toString('latin1', start, end);
    if (!isUtf8(buf.subarray(start, end))) throw invalid(`the string at byte ${at} is not valid UTF-8`);
    return buf.toString('utf8', start, end);
  }

  /** A string header: an unsigned varint. */
  #head(): number {
    const buf = this.buf;
    const end = buf.length;
    let pos = this.pos;
    let v = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (pos >= end) throw invalid(`truncated: ${end} bytes end inside a string length`);
      if (i === MAX_VARINT_BYTES)
        throw invalid(`the string length at byte ${this.pos} has more than ${i} bytes`);
      const b = buf[pos++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
    }
    this.pos = pos;
    return v;
  }
}

function decodePerson(r: Reader): Person {
  const id = r.int();
  const name = r.string();
  const emailAddress = r.string();
  const creditCard = r.string();
  const city = r.string();
  const state = r.string();
  const dateTime = r.int();
  const extra = r.string();
  return { type: 'person', id, name, emailAddress, creditCard, city, state, dateTime, extra };
}

function decodeAuction(r: Reader): Auction {
  const id = r.int();
  const itemName = r.string();
  const description = r.string();
  const initialBid = r.int();
  const reserve = r.int();
  const dateTime = r.int();
  const expires = r.int();
  const seller = r.int();
  const category = r.int();
  const extra = r.string();
  return {
    type: 'auction',
    id,
    itemName,
    description,
    initialBid,
    reserve,
    dateTime,
    expires,
    seller,
    category,
    extra,
  };
}

function decodeBid(r: Reader): Bid {
  const auction = r.int();
  const bidder = r.int();
  const price = r.int();
  const channel = r.string();
  const url = r.string();
  const dateTime = r.int();
  const extra = r.string();
  return { type: 'bid', auction, bidder, price, channel, url, dateTime, extra };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Nexmark events in the binary layout described above. */
export const nexmarkBinarySerde: Serde<NexmarkEvent> = {
  name: 'nexmark-binary',
  encode(event: NexmarkEvent): Uint8Array {
    switch (event?.type) {
      case 'bid':
        return encodeBid(event);
      case 'person':
        return encodePerson(event);
      case 'auction':
        return encodeAuction(event);
      default:
        throw invalid(`unknown event type ${String((event as { type?: unknown } | null)?.type)}`);
    }
  },
  decode(bytes: Uint8Array): NexmarkEvent {
    if (bytes.length === 0) throw invalid('empty value');
    const reader = new Reader(asBuffer(bytes));
    const tag = bytes[0]!;
    let event: NexmarkEvent;
    if (tag === BID) event = decodeBid(reader);
    else if (tag === PERSON) event = decodePerson(reader);
    else if (tag === AUCTION) event = decodeAuction(reader);
    else throw invalid(`unknown tag ${tag}`);
    if (reader.pos !== bytes.length)
      throw invalid(`${bytes.length - reader.pos} trailing bytes after the ${event.type}`);
    return event;
  },
};
