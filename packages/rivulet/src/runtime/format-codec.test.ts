import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isEngineError } from '../model/index.ts';
import type { Plan } from '../plan/index.ts';
import { codecFor } from './format-codec.ts';

const plan: Plan = { pipeline: 'p', nodes: [], functions: new Map() };
const structured = codecFor({ kind: 'structured' }, plan);

const structuredValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.bigInt(),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4, noNullPrototype: true }),
    fc
      .array(fc.tuple(fc.string({ maxLength: 4 }), tie('value')), { maxLength: 3 })
      .map((entries) => new Map(entries)),
    fc.uint8Array({ maxLength: 8 }),
  ),
})).value;

test('the structured format returns every structured-clone value exactly, through MessagePack or v8', () => {
  let viaMsgpack = 0;
  fc.assert(
    fc.property(structuredValue, (value) => {
      const bytes = structured.encode(value);
      if (bytes[0] === 0x4d) viaMsgpack++;
      assert.deepStrictEqual(structured.decode(bytes), value);
    }),
    { numRuns: 2000 },
  );
  assert.ok(viaMsgpack > 200, `only ${viaMsgpack} values took the MessagePack path`);
});

test('plain JSON data (undefined fields too) takes the MessagePack path; anything it would change takes v8', () => {
  for (const value of [
    { a: [1, 'x', null, { b: true }] },
    { u: undefined, v: 1 },
    [undefined, 2],
    undefined,
  ]) {
    assert.equal(structured.encode(value)[0], 0x4d, String(value));
    assert.deepStrictEqual(structured.decode(structured.encode(value)), value);
  }
  const sparse: unknown[] = [1];
  sparse[2] = 3; // index 1 is a hole, which JSON would turn into null
  for (const value of [
    { d: new Date(0) },
    new Map([[1, 2]]),
    sparse,
    -0,
    Number.NaN,
    { n: 10n },
    JSON.parse('{"__proto__":{"x":1},"y":2}'),
  ]) {
    assert.equal(structured.encode(value)[0], 0x56, String(value));
    assert.deepStrictEqual(structured.decode(structured.encode(value)), value);
  }
  // Tagged JSON, as earlier versions wrote repartition records, still decodes.
  assert.deepStrictEqual(structured.decode(Buffer.from('J{"a":[1,"x"]}')), { a: [1, 'x'] });
  assert.throws(
    () => structured.decode(Buffer.from('Xjunk')),
    (e) => isEngineError(e, 'INVALID_RECORD'),
  );
  assert.throws(
    () => structured.decode(Buffer.from('J{nope')),
    (e) => isEngineError(e, 'INVALID_RECORD'),
  );
});
