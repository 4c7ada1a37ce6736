import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isEngineError } from './engine-error.ts';
import { float64Serde, jsonSerde, stringSerde } from './serde.ts';

test('serdes round-trip their values', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.string(), fc.double({ noNaN: true }), (json, text, number) => {
      const j = jsonSerde<unknown>();
      assert.deepEqual(j.decode(j.encode(json)), JSON.parse(JSON.stringify(json)));
      assert.equal(stringSerde.decode(stringSerde.encode(text)), text);
      assert.equal(float64Serde.decode(float64Serde.encode(number)), number);
    }),
    { numRuns: 500 },
  );
});

test('undecodable bytes raise INVALID_JSON / INVALID_RECORD', () => {
  assert.throws(
    () => jsonSerde().decode(Buffer.from('{nope')),
    (e) => isEngineError(e, 'INVALID_JSON'),
  );
  assert.throws(
    () => stringSerde.decode(Buffer.from([0xff, 0xfe])),
    (e) => isEngineError(e, 'INVALID_RECORD'),
  );
  assert.throws(
    () => float64Serde.decode(Buffer.from([1, 2])),
    (e) => isEngineError(e, 'INVALID_RECORD'),
  );
});
