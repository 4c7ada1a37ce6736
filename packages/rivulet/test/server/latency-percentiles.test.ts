import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BucketHistogram,
  DURATION_BUCKETS_MS,
  LATENCY_BUCKETS_MS,
} from '../../src/model/bucket-histogram.ts';
import { bucketPercentile, intervalLatency } from '../../src/server/latency-percentiles.ts';

/**
 * The interval percentiles of WS /api/live against a plain computation: observations go into a
 * BucketHistogram, two snapshots are taken, and the percentile of the bucket deltas must equal the
 * sort-based quantile (nearest rank, ceil(q * n)) of the observations made between them, mapped to the
 * upper bound of its bucket (Infinity above the last bound).
 */

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function reference(bounds: readonly number[], values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const v = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
  return bounds.find((b) => v <= b) ?? Number.POSITIVE_INFINITY;
}

test('percentiles of bucket deltas equal the sorted reference mapped to bucket bounds', () => {
  const next = random(42);
  const shapes: Array<[string, readonly number[], () => number]> = [
    ['uniform ms', DURATION_BUCKETS_MS, () => next() * 40],
    ['log-spread', DURATION_BUCKETS_MS, () => 0.01 * 10 ** (next() * 6.5)],
    [
      'exact bounds',
      LATENCY_BUCKETS_MS,
      () => LATENCY_BUCKETS_MS[Math.floor(next() * LATENCY_BUCKETS_MS.length)]!,
    ],
    ['heavy tail', LATENCY_BUCKETS_MS, () => (next() < 0.95 ? next() * 30 : 4_000_000 * next())],
  ];
  let checked = 0;
  for (const [name, bounds, draw] of shapes)
    for (const [first, second] of [
      [0, 1],
      [1, 1],
      [500, 7],
      [300, 1000],
      [20, 0],
    ] as const) {
      const histogram = new BucketHistogram(bounds);
      for (let i = 0; i < first; i++) histogram.observe(draw());
      const before = histogram.snapshot();
      const interval = Array.from({ length: second }, draw);
      for (const v of interval) histogram.observe(v);
      const now = histogram.snapshot();
      const delta = now.counts.map((c, i) => c - before.counts[i]!);
      for (const q of [0.01, 0.5, 0.9, 0.99, 1]) {
        assert.equal(
          bucketPercentile(bounds, delta, q),
          reference(bounds, interval, q),
          `${name}: ${first} then ${second}, q=${q}`,
        );
        checked++;
      }
      const latency = intervalLatency(bounds, now.counts, before.counts);
      const clamp = (p: number | null) => (p === Number.POSITIVE_INFINITY ? bounds.at(-1)! : p);
      assert.deepEqual(latency, {
        count: second,
        p50: clamp(reference(bounds, interval, 0.5)),
        p99: clamp(reference(bounds, interval, 0.99)),
      });
    }
  assert.equal(checked, 100);
});

test('without a previous snapshot, or after counts went down, the whole histogram counts', () => {
  const histogram = new BucketHistogram(DURATION_BUCKETS_MS);
  for (const v of [0.3, 0.3, 0.3, 7, 7000]) histogram.observe(v);
  const counts = histogram.snapshot().counts;
  assert.deepEqual(intervalLatency(DURATION_BUCKETS_MS, counts, undefined), {
    count: 5,
    p50: 0.5,
    p99: 10000,
  });
  const restarted = new Array<number>(counts.length).fill(0);
  restarted[0] = 1;
  assert.deepEqual(intervalLatency(DURATION_BUCKETS_MS, restarted, counts), {
    count: 1,
    p50: 0.05,
    p99: 0.05,
  });
  assert.deepEqual(intervalLatency(DURATION_BUCKETS_MS, counts, counts), { count: 0, p50: null, p99: null });
});
