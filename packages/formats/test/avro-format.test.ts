import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isEngineError, pipeline, topic } from 'rivulet';
import { TestDriver } from 'rivulet/testing';
import { avro } from '../src/index.ts';
import { plain } from './plain.ts';

/** A schema covering every Avro type the format maps (primitives, enum, fixed, array, map, union, nested). */
const orderSchema = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'sequence', type: 'long' },
    { name: 'customer', type: 'string' },
    { name: 'paid', type: 'boolean' },
    { name: 'amount', type: 'double' },
    { name: 'ratio', type: 'float' },
    { name: 'payload', type: 'bytes' },
    { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'SHIPPED'] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'counts', type: { type: 'map', values: 'int' } },
    {
      name: 'address',
      type: {
        type: 'record',
        name: 'Address',
        fields: [
          { name: 'city', type: 'string' },
          { name: 'zip', type: ['null', 'int'], default: null },
        ],
      },
    },
  ],
} as const;

const text = fc.string({ unit: 'grapheme', maxLength: 20 });
const orderArb = fc.record({
  id: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  sequence: fc.maxSafeInteger().chain((n) => fc.constantFrom(n, -n, 0)),
  customer: text,
  paid: fc.boolean(),
  amount: fc.double(),
  ratio: fc.float(),
  payload: fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
  hash: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((a) => Buffer.from(a)),
  note: fc.option(text, { nil: null }),
  status: fc.constantFrom('NEW', 'PAID', 'SHIPPED'),
  tags: fc.array(text, { maxLength: 5 }),
  counts: fc.dictionary(
    text.filter((k) => k !== '__proto__'),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    { maxKeys: 4 },
  ),
  address: fc.record({ city: text, zip: fc.option(fc.nat(99999), { nil: null }) }),
});

const codeOf = (code: string) => (e: unknown) => {
  assert.ok(isEngineError(e), String(e));
  assert.equal(e.code, code, e.message);
  return true;
};

test('avro: decode(encode(x)) equals x for generated records of every Avro type', () => {
  const format = avro(orderSchema);
  fc.assert(
    fc.property(orderArb, (order) => {
      const bytes = format.serde!.encode(order);
      assert.deepEqual(plain(format.serde!.decode(bytes)), plain(order));
      // Deterministic: equal values encode to equal bytes.
      assert.deepEqual(Buffer.from(format.serde!.encode(structuredClone(order))), Buffer.from(bytes));
    }),
    { numRuns: 300 },
  );
});

test('avro: decoding a Uint8Array view in the middle of a larger buffer reads only that view', () => {
  const format = avro<{ a: string }>({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] });
  const bytes = format.serde!.encode({ a: 'hello' });
  const big = new Uint8Array(bytes.length + 6);
  big.set(bytes, 3);
  assert.deepEqual(plain(format.serde!.decode(big.subarray(3, 3 + bytes.length))), { a: 'hello' });
});

const v1 = {
  type: 'record',
  name: 'User',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
    { name: 'score', type: 'float' },
    { name: 'legacy', type: 'string' },
    { name: 'plan', type: { type: 'enum', name: 'Plan', symbols: ['FREE', 'PRO'] } },
  ],
};

test('avro evolution: added fields take defaults, removed fields are skipped, numbers and strings are promoted', () => {
  const v2 = {
    type: 'record',
    name: 'User',
    fields: [
      { name: 'id', type: 'long' }, // int -> long
      { name: 'name', type: 'bytes' }, // string -> bytes
      { name: 'score', type: 'double' }, // float -> double
      // 'legacy' removed
      { name: 'plan', type: { type: 'enum', name: 'Plan', symbols: ['FREE', 'PRO', 'TEAM'] } },
      { name: 'email', type: ['null', 'string'], default: null }, // added, nullable
      { name: 'visits', type: 'int', default: 7 }, // added with a default
    ],
  };
  const writer = avro(v1);
  const reader = avro(v1, { readerSchema: v2 });
  const bytes = writer.serde!.encode({ id: 42, name: 'ada', score: 0.5, legacy: 'x', plan: 'PRO' });
  assert.deepEqual(plain(reader.serde!.decode(bytes)), {
    id: 42,
    name: Buffer.from('ada'),
    score: 0.5,
    plan: 'PRO',
    email: null,
    visits: 7,
  });
  // encode of a reader-side format still writes the writer schema (what the topic holds).
  assert.deepEqual(
    Buffer.from(reader.serde!.encode({ id: 42, name: 'ada', score: 0.5, legacy: 'x', plan: 'PRO' })),
    Buffer.from(bytes),
  );
});

test('avro evolution: fields matched through reader aliases', () => {
  const renamed = {
    type: 'record',
    name: 'User',
    fields: [
      { name: 'id', type: 'int' },
      { name: 'fullName', type: 'string', aliases: ['name'] },
      { name: 'score', type: 'float' },
      { name: 'legacy', type: 'string' },
      { name: 'plan', type: { type: 'enum', name: 'Plan', symbols: ['FREE', 'PRO'] } },
    ],
  };
  const bytes = avro(v1).serde!.encode({ id: 1, name: 'bo', score: 1, legacy: '', plan: 'FREE' });
  assert.deepEqual(plain(avro(v1, { readerSchema: renamed }).serde!.decode(bytes)), {
    id: 1,
    fullName: 'bo',
    score: 1,
    legacy: '',
    plan: 'FREE',
  });
});

test('avro evolution: an incompatible reader is refused when the format is created, with SCHEMA_INCOMPATIBLE', () => {
  const noDefault = { ...v1, fields: [...v1.fields, { name: 'required', type: 'string' }] };
  assert.throws(() => avro(v1, { readerSchema: noDefault }), codeOf('SCHEMA_INCOMPATIBLE'));
  const typeChanged = {
    ...v1,
    fields: v1.fields.map((f) => (f.name === 'name' ? { ...f, type: 'int' } : f)),
  };
  assert.throws(() => avro(v1, { readerSchema: typeChanged }), codeOf('SCHEMA_INCOMPATIBLE'));
  const demoted = { ...v1, fields: v1.fields.map((f) => (f.name === 'score' ? { ...f, type: 'int' } : f)) };
  assert.throws(() => avro(v1, { readerSchema: demoted }), codeOf('SCHEMA_INCOMPATIBLE'));
  const renamedRecord = { ...v1, name: 'Customer' };
  assert.throws(() => avro(v1, { readerSchema: renamedRecord }), codeOf('SCHEMA_INCOMPATIBLE'));
});

test('avro: bad bytes are INVALID_RECORD (truncated, trailing, bad enum index, empty, negative length)', () => {
  const format = avro(v1);
  const good = Buffer.from(format.serde!.encode({ id: 1, name: 'n', score: 1, legacy: 'l', plan: 'FREE' }));
  const bad = [
    good.subarray(0, good.length - 1), // truncated
    Buffer.concat([good, Buffer.from([0])]), // trailing byte
    Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([0x08])]), // enum index 4 of 2
    Buffer.alloc(0),
    Buffer.from([0x02, 0x03]), // id 1, then a string of length -2
  ];
  for (const bytes of bad) assert.throws(() => format.serde!.decode(bytes), codeOf('INVALID_RECORD'));
});

test('avro: encode of a value that does not fit the schema is INVALID_RECORD naming the field', () => {
  const format = avro(v1);
  assert.throws(
    () => format.serde!.encode({ id: 1.5, name: 'n', score: 1, legacy: 'l', plan: 'FREE' }),
    (e) => codeOf('INVALID_RECORD')(e) && /id: 1\.5 is not a "int"/.test((e as Error).message),
  );
  assert.throws(
    () => format.serde!.encode({ id: 1, name: 'n', score: 1, legacy: 'l', plan: 'GOLD' }),
    (e) => codeOf('INVALID_RECORD')(e) && /plan: "GOLD"/.test((e as Error).message),
  );
});

test('avro: an invalid schema is INVALID_ARGUMENT naming the option', () => {
  assert.throws(
    () => avro({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'nope' }] } as never),
    (e) => codeOf('INVALID_ARGUMENT')(e) && /schema/.test((e as Error).message),
  );
  assert.throws(
    () => avro('string', { readerSchema: { type: 'bogus' } as never }),
    (e) => codeOf('INVALID_ARGUMENT')(e) && /readerSchema/.test((e as Error).message),
  );
  // JSON text and primitive names are accepted.
  assert.equal(avro('"string"').serde!.decode(avro('string').serde!.encode('x')), 'x');
});

test('avro in a pipeline: a v1 topic read with a v2 reader schema and written as v2', () => {
  const v2 = {
    type: 'record',
    name: 'User',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'name', type: 'string' },
      { name: 'visits', type: 'int', default: 7 },
    ],
  };
  const p = pipeline('avro-evolution');
  p.from(
    'users',
    topic('users-v1', avro<{ id: number; name: string; visits: number }>(v1, { readerSchema: v2 })),
  )
    .map((u) => ({ id: u.id, name: u.name.toUpperCase(), visits: u.visits + 1 }))
    .to('out', topic('users-v2', avro<{ id: number; name: string; visits: number }>(v2)));
  const driver = new TestDriver(p);
  driver.pipeInput('users-v1', { id: 3, name: 'cy', score: 2, legacy: '', plan: 'PRO' });
  driver.pipeInput('users-v1', { id: 4, name: 'di', score: 2, legacy: '', plan: 'FREE' });
  assert.deepEqual(
    driver.readOutput('users-v2').map((r) => plain(r.value)),
    [
      { id: 3, name: 'CY', visits: 8 },
      { id: 4, name: 'DI', visits: 8 },
    ],
  );
  assert.throws(() => driver.pipeRawInput('users-v1', Buffer.from([0x02])), /cannot decode/);
});

/** Reference Avro long encoding: zigzag then base-128 varint, in BigInt arithmetic. */
function zigzagVarint(n: bigint): Buffer {
  let z = n >= 0n ? n << 1n : (-n << 1n) - 1n;
  const out: number[] = [];
  do {
    const low = Number(z & 0x7fn);
    z >>= 7n;
    out.push(z > 0n ? low | 0x80 : low);
  } while (z > 0n);
  return Buffer.from(out);
}

test('avro long: exact over the whole safe-integer range (matching a BigInt reference encoding)', () => {
  const format = avro<number>('long');
  const edges = [0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 52 + 1, -(2 ** 52) - 1, -7604555848921557];
  edges.push(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
  for (const n of edges) {
    const bytes = Buffer.from(format.serde!.encode(n));
    assert.deepEqual(bytes, zigzagVarint(BigInt(n)), `encoding of ${n}`);
    assert.equal(format.serde!.decode(bytes), n);
  }
  fc.assert(
    fc.property(fc.maxSafeInteger(), (n) => {
      const bytes = Buffer.from(format.serde!.encode(n));
      assert.deepEqual(bytes, zigzagVarint(BigInt(n)));
      assert.equal(format.serde!.decode(bytes), n);
    }),
  );
  // Longs other writers produce beyond 2^53 cannot be numbers: INVALID_RECORD, never a rounded value.
  assert.throws(() => format.serde!.decode(zigzagVarint(2n ** 53n + 1n)), codeOf('INVALID_RECORD'));
  assert.throws(() => format.serde!.decode(zigzagVarint(-(2n ** 60n))), codeOf('INVALID_RECORD'));
  assert.throws(() => format.serde!.encode(2 ** 53), codeOf('INVALID_RECORD'));
});
