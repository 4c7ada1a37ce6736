/**
 * Kafka wire primitives for the test bridge: a cursor over a frame (classic and compact/flexible
 * encodings), a frame writer, and a byte-stream framer. Test infrastructure only.
 */
export class Reader {
  offset: number;
  constructor(
    readonly buf: Buffer,
    offset = 0,
  ) {
    this.offset = offset;
  }
  i8(): number {
    const v = this.buf.readInt8(this.offset);
    this.offset += 1;
    return v;
  }
  i16(): number {
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  i64(): bigint {
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.buf[this.offset++]!;
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
  }
  /** A classic string (int16 length, -1 = null). */
  str(): string | null {
    const len = this.i16();
    if (len < 0) return null;
    const v = this.buf.toString('utf8', this.offset, this.offset + len);
    this.offset += len;
    return v;
  }
  compactStr(): string | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    const v = this.buf.toString('utf8', this.offset, this.offset + len);
    this.offset += len;
    return v;
  }
  /** Classic nullable bytes (int32 length). */
  bytes(): Buffer | null {
    const len = this.i32();
    if (len < 0) return null;
    const v = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return v;
  }
  compactBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    const v = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return v;
  }
  /** A compact array; null (length 0 on the wire) comes back as null. */
  nullableCompactArray<T>(item: () => T): T[] | null {
    if (this.buf[this.offset] === 0) {
      this.offset += 1;
      return null;
    }
    return this.compactArray(item);
  }
  compactArray<T>(item: () => T): T[] {
    const n = this.uvarint() - 1;
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }
  /** A classic array; -1 (null) reads as an empty one. */
  array<T>(item: () => T): T[] {
    const n = this.i32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }
  skipTags(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.offset += this.uvarint();
    }
  }
}

export class Writer {
  readonly chunks: Buffer[] = [];
  private push(b: Buffer): this {
    this.chunks.push(b);
    return this;
  }
  i8(v: number): this {
    const b = Buffer.allocUnsafe(1);
    b.writeInt8(v);
    return this.push(b);
  }
  i16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    return this.push(b);
  }
  i32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    return this.push(b);
  }
  i64(v: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(v);
    return this.push(b);
  }
  bool(v: boolean): this {
    return this.i8(v ? 1 : 0);
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    let n = v >>> 0;
    while (n >= 0x80) {
      bytes.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    bytes.push(n);
    return this.push(Buffer.from(bytes));
  }
  raw(b: Buffer): this {
    return this.push(b);
  }
  str(v: string | null): this {
    if (v === null) return this.i16(-1);
    const b = Buffer.from(v, 'utf8');
    return this.i16(b.length).push(b);
  }
  compactStr(v: string | null): this {
    if (v === null) return this.uvarint(0);
    const b = Buffer.from(v, 'utf8');
    return this.uvarint(b.length + 1).push(b);
  }
  /** Classic nullable bytes (int32 length, -1 = null). */
  bytes(v: Buffer | null): this {
    if (v === null) return this.i32(-1);
    return this.i32(v.length).push(v);
  }
  compactBytes(v: Buffer | null): this {
    if (v === null) return this.uvarint(0);
    return this.uvarint(v.length + 1).push(v);
  }
  array<T>(items: readonly T[] | null, item: (w: this, v: T) => void): this {
    if (items === null) return this.i32(-1);
    this.i32(items.length);
    for (const v of items) item(this, v);
    return this;
  }
  compactArray<T>(items: readonly T[] | null, item: (w: this, v: T) => void): this {
    if (items === null) return this.uvarint(0);
    this.uvarint(items.length + 1);
    for (const v of items) item(this, v);
    return this;
  }
  noTags(): this {
    return this.uvarint(0);
  }
  frame(): Buffer {
    const body = Buffer.concat(this.chunks);
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(body.length);
    return Buffer.concat([len, body]);
  }
}

/** Splits a byte stream into Kafka frames (int32 size + body). */
export function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const size = buffered.readInt32BE(0);
      if (buffered.length < 4 + size) break;
      onFrame(buffered.subarray(4, 4 + size));
      buffered = buffered.subarray(4 + size);
    }
  };
}

/** Broker address ("host:port" as the mock names it) -> the bridge listener that stands for it. */
export type AddressMap = ReadonlyMap<string, { host: string; port: number }>;
