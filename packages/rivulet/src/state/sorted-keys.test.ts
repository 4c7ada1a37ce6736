import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SortedKeys } from './sorted-keys.ts';

/**
 * SortedKeys against a plain sorted array: after every operation the size, every position, lower bounds
 * of probe keys (present, absent, below and above all) and spans agree. Thousands of single inserts and
 * removals split and empty chunks (1,024 keys at most each); batches go through the rebuild path.
 */
function check(keys: SortedKeys, reference: string[], probes: string[]): void {
  assert.equal(keys.size, reference.length);
  for (let i = 0; i < reference.length; i++) assert.equal(keys.at(i), reference[i]);
  const lowerBound = (k: string) => {
    const i = reference.findIndex((x) => x >= k);
    return i < 0 ? reference.length : i;
  };
  for (const probe of probes) {
    assert.equal(keys.lowerBound(probe), lowerBound(probe), probe);
    const to = `${probe}\u00ff`;
    assert.deepEqual(keys.span(probe, to), [lowerBound(probe), Math.max(lowerBound(probe), lowerBound(to))]);
  }
  assert.deepEqual(keys.span(undefined, undefined), [0, reference.length]);
}

const keyArb = fc.string({
  unit: fc.constantFrom('a', 'b', 'c', 'd', '\u0000', '\u00ff'),
  minLength: 0,
  maxLength: 6,
});

test('SortedKeys equals a sorted array under random inserts, removals and batches (property)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('insert' as const), key: keyArb }),
          fc.record({ op: fc.constant('remove' as const), key: keyArb }),
          fc.record({
            op: fc.constant('insertMany' as const),
            keys: fc.uniqueArray(keyArb, { maxLength: 40 }),
          }),
          fc.record({ op: fc.constant('removeMany' as const), keys: fc.array(keyArb, { maxLength: 10 }) }),
        ),
        { maxLength: 40 },
      ),
      fc.array(keyArb, { maxLength: 6 }),
      (ops, probes) => {
        const keys = new SortedKeys();
        let reference: string[] = [];
        for (const o of ops) {
          if (o.op === 'insert') {
            keys.insert(o.key);
            if (!reference.includes(o.key)) reference = [...reference, o.key].sort();
          } else if (o.op === 'remove') {
            keys.remove(o.key);
            reference = reference.filter((k) => k !== o.key);
          } else if (o.op === 'insertMany') {
            const fresh = o.keys.filter((k) => !reference.includes(k));
            keys.insertMany([...fresh]);
            reference = [...reference, ...fresh].sort();
          } else {
            keys.removeMany(new Set(o.keys));
            reference = reference.filter((k) => !o.keys.includes(k));
          }
          check(keys, reference, [...probes, '', '\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff']);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('SortedKeys splits and empties chunks: 5,000 single inserts, then removing every other key', () => {
  const keys = new SortedKeys();
  const all = Array.from({ length: 5000 }, (_, i) => `k${String((i * 7919) % 5000).padStart(5, '0')}`);
  for (const key of all) keys.insert(key);
  const reference = [...all].sort();
  check(keys, reference, ['k00000', 'k02500', 'k04999', 'k1', 'j', 'l']);
  for (let i = 0; i < reference.length; i += 2) keys.remove(reference[i]!);
  const rest = reference.filter((_, i) => i % 2 === 1);
  check(keys, rest, ['k00000', 'k00001', 'k02501', 'k04999', 'j', 'l']);
  for (const key of rest.slice(0, 2000)) keys.remove(key);
  check(keys, rest.slice(2000), ['k00000', 'k04001', 'l']);
});
