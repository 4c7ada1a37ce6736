import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import pb from 'protobufjs';
import { isEngineError, json, pipeline, topic } from 'rivulet';
import { TestDriver } from 'rivulet/testing';
import { protobuf } from '../src/index.ts';
import { plain } from './plain.ts';

const protoDir = join(import.meta.dirname, 'fixtures', 'proto');
const rootV1 = pb.loadSync(join(protoDir, 'order-v1.proto'));
const rootV2 = pb.loadSync(join(protoDir, 'order-v2.proto'));
const Long = pb.util.Long as unknown as { fromString(text: string): unknown };

const codeOf = (code: string, pattern?: RegExp) => (e: unknown) => {
  assert.ok(isEngineError(e), String(e));
  assert.equal(e.code, code, e.message);
  if (pattern !== undefined) assert.match(e.message, pattern);
  return true;
};

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const text = fc.string({ unit: 'grapheme', maxLength: 16 });
const orderV1 = fc.record({
  id: int32,
  customer: text,
  amount: fc.double({ noNaN: false }),
  tags: fc.array(text, { maxLength: 4 }),
  status: fc.constantFrom(0, 1),
  legacyCode: text,
  address: fc.option(fc.record({ city: text }), { nil: null }),
  sequence: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => Long.fromString(n.toString())),
  payload: fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
  counts: fc.dictionary(
    text.filter((k) => k !== '__proto__'),
    int32,
    { maxKeys: 3 },
  ),
});

test('protobuf: decode(encode(x)) equals x for generated messages (every field present, as decode returns them)', () => {
  const format = protobuf({ root: rootV1, typeName: 'shop.Order' });
  fc.assert(
    fc.property(orderV1, (order) => {
      const bytes = format.serde!.encode(order);
      assert.deepEqual(plain(format.serde!.decode(bytes)), plain(order));
    }),
    { numRuns: 200 },
  );
});

test('protobuf: missing fields decode to their defaults (own properties, so JSON shows them)', () => {
  const format = protobuf({ root: rootV1, typeName: 'shop.Order' });
  const decoded = format.serde!.decode(format.serde!.encode({ id: 5 })) as Record<string, unknown>;
  assert.deepEqual(plain({ ...decoded, sequence: String(decoded.sequence) }), {
    id: 5,
    customer: '',
    amount: 0,
    tags: [],
    status: 0,
    legacyCode: '',
    address: null,
    sequence: '0',
    payload: Buffer.alloc(0),
    counts: {},
  });
});

test('protobuf evolution: v1 bytes read with v2 skip removed fields and default the added ones', () => {
  const writer = protobuf({ root: rootV1, typeName: 'shop.Order' });
  const reader = protobuf(rootV2.lookupType('shop.Order'));
  const bytes = writer.serde!.encode({
    id: 7,
    customer: 'ada',
    status: 1,
    legacyCode: 'X-1',
    address: { city: 'Paris' },
    tags: ['a', 'b'],
  });
  const decoded = reader.serde!.decode(bytes) as Record<string, unknown>;
  assert.equal(Object.hasOwn(decoded, 'legacyCode'), false, 'field 6 is unknown to v2: skipped');
  assert.deepEqual(plain({ ...decoded, sequence: String(decoded.sequence) }), {
    id: 7,
    customer: 'ada',
    amount: 0,
    tags: ['a', 'b'],
    status: 1,
    address: { city: 'Paris', zip: '' },
    sequence: '0',
    payload: Buffer.alloc(0),
    counts: {},
    email: '',
    vip: false,
    billing: null,
  });
});

test('protobuf evolution: v2 bytes read with v1 skip the added fields; an enum value v1 lacks stays numeric', () => {
  const writer = protobuf({ root: rootV2, typeName: 'shop.Order' });
  const reader = protobuf({ root: rootV1, typeName: 'shop.Order' });
  const bytes = writer.serde!.encode({
    id: 8,
    customer: 'bo',
    status: 2, // SHIPPED, added in v2
    email: 'bo@example.org',
    vip: true,
    billing: { city: 'Lyon', zip: '69001' },
    address: { city: 'Nice', zip: '06000' },
  });
  const decoded = reader.serde!.decode(bytes) as Record<string, unknown>;
  for (const added of ['email', 'vip', 'billing']) assert.equal(Object.hasOwn(decoded, added), false, added);
  assert.equal(decoded.id, 8);
  assert.equal(decoded.customer, 'bo');
  assert.equal(decoded.status, 2);
  assert.deepEqual(plain(decoded.address), { city: 'Nice' });
  assert.equal(decoded.legacyCode, '');
});

test('protobuf: encode verifies the value and throws INVALID_RECORD with the verifier message', () => {
  const format = protobuf({ root: rootV1, typeName: 'shop.Order' });
  assert.throws(
    () => format.serde!.encode({ id: 'seven' }),
    codeOf('INVALID_RECORD', /id: integer expected/),
  );
  // Enums are numeric ids (proto3 enums are open: any integer verifies); a name is refused.
  assert.throws(
    () => format.serde!.encode({ status: 'PAID' }),
    codeOf('INVALID_RECORD', /status: enum value expected/),
  );
  assert.throws(
    () => format.serde!.encode({ address: { city: 3 } }),
    codeOf('INVALID_RECORD', /address\.city: string expected/),
  );
  assert.throws(() => format.serde!.encode(null), codeOf('INVALID_RECORD', /must be an object/));
});

test('protobuf: bytes protobufjs cannot read are INVALID_RECORD', () => {
  const format = protobuf({ root: rootV1, typeName: 'shop.Order' });
  const bad = [
    Buffer.from([0x0f]), // field 1, wire type 7 (no such wire type)
    Buffer.from([0x12, 0x10, 0x41]), // field 2, length 16, 1 byte present
    Buffer.from([0x08, 0xff]), // field 1 varint never terminated
    Buffer.from([0x3a, 0x02, 0x0a]), // address: length 2, 1 byte present
  ];
  for (const bytes of bad) assert.throws(() => format.serde!.decode(bytes), codeOf('INVALID_RECORD'));
});

test('protobuf: a bad type option is INVALID_ARGUMENT', () => {
  assert.throws(
    () => protobuf({ root: rootV1, typeName: 'shop.Nope' }),
    codeOf('INVALID_ARGUMENT', /shop\.Nope/),
  );
  assert.throws(() => protobuf({ root: {} as pb.Root, typeName: 'shop.Order' }), codeOf('INVALID_ARGUMENT'));
  assert.throws(() => protobuf({ root: rootV1, typeName: '' }), codeOf('INVALID_ARGUMENT'));
});

test('protobuf in a pipeline: a v1 topic read as v2, good records flow, undecodable bytes fail the deserialize step', () => {
  const p = pipeline('protobuf-evolution');
  p.from(
    'orders',
    topic(
      'orders-pb',
      protobuf<{ id: number; vip: boolean; email: string }>(rootV2.lookupType('shop.Order')),
    ),
  )
    .map((o) => ({ id: o.id, vip: o.vip, email: o.email }))
    .to('out', topic('orders-json', json<{ id: number; vip: boolean; email: string }>()));
  const driver = new TestDriver(p);
  const v1 = protobuf({ root: rootV1, typeName: 'shop.Order' });
  driver.pipeRawInput('orders-pb', Buffer.from(v1.serde!.encode({ id: 1, legacyCode: 'old' })));
  driver.pipeRawInput('orders-pb', Buffer.from(v1.serde!.encode({ id: 2 })));
  assert.deepEqual(
    driver.readOutput('orders-json').map((r) => r.value),
    [
      { id: 1, vip: false, email: '' },
      { id: 2, vip: false, email: '' },
    ],
  );
  assert.throws(() => driver.pipeRawInput('orders-pb', Buffer.from([0x0f])), /invalid wire type/);
});
