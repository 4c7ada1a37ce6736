import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { boundedOutOfOrder, json, pipeline, topic } from '../dsl/index.ts';
import { TestDriver } from './test-driver.ts';

/**
 * dedupe, crosses and silence through the test driver (one record per step), against plain loops written
 * from their rules; the watermark is the largest event time seen minus the bound, moved after each
 * record; a last record far in the future fires every pending timer.
 */
interface Reading {
  k: string;
  v: number;
  ts: number;
}

const FLUSH = { k: 'flush', v: 0, ts: 1_000_000 };

function readingsArb(bound: number): fc.Arbitrary<Reading[]> {
  return fc
    .array(
      fc.record({
        k: fc.constantFrom('a', 'b', 'c'),
        v: fc.integer({ min: 0, max: 20 }),
        step: fc.integer({ min: -15, max: 20 }),
      }),
      { maxLength: 50 },
    )
    .map((drafts) => {
      let max = 100;
      let ts = 100;
      return drafts.map((d) => {
        ts = Math.max(max - bound, ts + d.step);
        max = Math.max(max, ts);
        return { k: d.k, v: d.v, ts };
      });
    });
}

/** An out-of-orderness bound up to `maxBound` and readings for it. */
const streamArb = (maxBound: number) =>
  fc
    .integer({ min: 0, max: maxBound })
    .chain((bound) => readingsArb(bound).map((readings) => ({ bound, readings })));

function source(bound: number) {
  const p = pipeline('time-ops');
  const keyed = p
    .from('readings', topic('readings', json<Reading>()))
    .eventTime((r) => r.ts, boundedOutOfOrder(bound))
    .keyBy((r) => r.k);
  return { p, keyed };
}

test('crosses emits once per crossing of the threshold, up and down, per key', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 20 }), readingsArb(0), (threshold, readings) => {
      const { p, keyed } = source(0);
      keyed.crosses('alert', threshold, (r) => r.v).to('out', topic('alerts', json()));
      const driver = new TestDriver(p);
      for (const r of readings) driver.pipeInput('readings', r);
      const above = new Map<string, boolean>();
      const expected: unknown[] = [];
      for (const r of readings) {
        const now = r.v >= threshold;
        if (now !== (above.get(r.k) ?? false)) {
          above.set(r.k, now);
          expected.push({ key: r.k, direction: now ? 'up' : 'down', value: r.v, threshold });
        }
      }
      assert.deepEqual(
        driver.readOutput('alerts').map((o) => o.value),
        expected,
      );
    }),
    { numRuns: 500 },
  );
});

test('dedupe keeps a record unless its key kept one less than `within` before it (until the watermark ends that)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), streamArb(15), (within, { bound, readings }) => {
      const { p, keyed } = source(bound);
      keyed.dedupe('once', within).to('out', topic('kept', json<Reading>()));
      const driver = new TestDriver(p);
      for (const r of [...readings, FLUSH]) driver.pipeInput('readings', r);
      let watermark = Number.NEGATIVE_INFINITY;
      const first = new Map<string, number>();
      const expected: Reading[] = [];
      for (const r of [...readings, FLUSH]) {
        const f = first.get(r.k);
        if (f === undefined || r.ts >= f + within) {
          first.set(r.k, r.ts);
          expected.push(r);
        }
        watermark = Math.max(watermark, r.ts - bound);
        for (const [k, t] of first) if (t + within <= watermark) first.delete(k);
      }
      assert.deepEqual(
        driver.readOutput('kept').map((o) => o.value),
        expected,
      );
    }),
    { numRuns: 500 },
  );
});

test('silence fires once per key when no record came for the gap after its latest (event time)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), streamArb(15), (gap, { bound, readings }) => {
      const { p, keyed } = source(bound);
      keyed.silence('quiet', gap).to('out', topic('silent', json()));
      const driver = new TestDriver(p);
      for (const r of [...readings, FLUSH]) driver.pipeInput('readings', r);
      let watermark = Number.NEGATIVE_INFINITY;
      const last = new Map<string, number>();
      const expected: unknown[] = [];
      for (const r of [...readings, FLUSH]) {
        last.set(r.k, Math.max(last.get(r.k) ?? Number.NEGATIVE_INFINITY, r.ts));
        watermark = Math.max(watermark, r.ts - bound);
        const due = [...last].filter(([, t]) => t + gap <= watermark).sort((a, b) => a[1] - b[1]);
        for (const [k, t] of due) {
          expected.push({ key: k, lastSeen: t, silentSince: t + gap });
          last.delete(k);
        }
      }
      assert.deepEqual(
        new Set(driver.readOutput('silent').map((o) => JSON.stringify(o.value))),
        new Set(expected.map((e) => JSON.stringify(e))),
      );
    }),
    { numRuns: 500 },
  );
});

test('silence by processing time fires from the clock', () => {
  const p = pipeline('devices');
  p.from('readings', topic('readings', json<Reading>()))
    .keyBy((r) => r.k)
    .silence('offline', '2m', { time: 'processing' })
    .to('out', topic('offline', json()));
  const driver = new TestDriver(p, { startTime: 1_000 });
  driver.pipeInput('readings', { k: 'sensor-1', v: 20, ts: 0 });
  driver.advanceTime(60_000);
  driver.pipeInput('readings', { k: 'sensor-1', v: 21, ts: 0 });
  driver.advanceTime(119_999);
  assert.deepEqual(driver.readOutput('offline'), []);
  driver.advanceTime(1);
  assert.deepEqual(
    driver.readOutput('offline').map((o) => o.value),
    [{ key: 'sensor-1', lastSeen: 61_000, silentSince: 181_000 }],
  );
});

test('throttle passes a key first record, then nothing for the interval after it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), streamArb(15), (interval, { bound, readings }) => {
      const { p, keyed } = source(bound);
      keyed.throttle('calm', interval).to('out', topic('passed', json<Reading>()));
      const driver = new TestDriver(p);
      for (const r of readings) driver.pipeInput('readings', r);
      const passed = new Map<string, number>();
      const expected = readings.filter((r) => {
        const last = passed.get(r.k);
        if (last !== undefined && r.ts < last + interval) return false;
        passed.set(r.k, r.ts);
        return true;
      });
      assert.deepEqual(
        driver.readOutput('passed').map((o) => o.value),
        expected,
      );
    }),
    { numRuns: 500 },
  );
});

test('sample emits per key and interval the latest record, once the watermark passes the interval', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), streamArb(15), (interval, { bound, readings }) => {
      const { p, keyed } = source(bound);
      keyed.sample('every', interval).to('out', topic('samples', json<Reading>()));
      const driver = new TestDriver(p);
      for (const r of [...readings, FLUSH]) driver.pipeInput('readings', r);
      const latest = new Map<string, Reading>();
      for (const r of readings) {
        const slot = `${r.k}|${r.ts - (r.ts % interval)}`;
        const current = latest.get(slot);
        if (current === undefined || r.ts >= current.ts) latest.set(slot, r);
      }
      const got = driver.readOutput('samples');
      for (const o of got) {
        const r = o.value as Reading;
        assert.equal(o.timestamp, r.ts - (r.ts % interval) + interval, 'a sample carries its interval end');
      }
      assert.deepEqual(
        new Set(got.map((o) => JSON.stringify(o.value))),
        new Set([...latest.values()].map((r) => JSON.stringify(r))),
      );
      assert.equal(got.length, latest.size, 'one sample per key and interval');
    }),
    { numRuns: 500 },
  );
});
