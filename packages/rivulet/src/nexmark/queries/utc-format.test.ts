import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { utcDay, utcHour, utcMinute } from './utc-format.ts';

test('utcDay/utcMinute/utcHour equal Date.toISOString for times in any order (the remembered period never leaks)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 4_102_444_800_000 }), { minLength: 1, maxLength: 50 }),
      (times) => {
        for (const t of times) {
          const iso = new Date(t).toISOString();
          assert.equal(utcDay(t), iso.slice(0, 10));
          assert.equal(utcMinute(t), iso.slice(11, 16));
          assert.equal(utcHour(t), Number(iso.slice(11, 13)));
          // Neighbours across a boundary, asked right after.
          const next = t - (t % 60_000) + 60_000;
          assert.equal(utcMinute(next), new Date(next).toISOString().slice(11, 16));
          assert.equal(utcDay(next - 1), new Date(next - 1).toISOString().slice(0, 10));
        }
      },
    ),
    { numRuns: 300 },
  );
});
