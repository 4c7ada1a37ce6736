import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './rate-limiter.ts';

test('a token bucket per client: burst, refill at the rate, Retry-After in whole seconds', () => {
  let now = 0;
  const rate = 4;
  const burst = 8;
  const limiter = new RateLimiter(rate, burst, () => now);
  // Reference: a plain bucket simulated step by step for client a; b is independent.
  let tokens = burst;
  let at = 0;
  for (let step = 0; step < 400; step++) {
    now += (step * 37) % 300; // ms between requests
    tokens = Math.min(burst, tokens + ((now - at) / 1000) * rate);
    at = now;
    const wait = limiter.take('a');
    if (tokens >= 1) {
      tokens -= 1;
      assert.equal(wait, 0, `step ${step}`);
    } else {
      assert.equal(wait, Math.max(1, Math.ceil((1 - tokens) / rate)), `step ${step}`);
      assert.ok(Number.isInteger(wait) && wait >= 1);
    }
  }
  assert.equal(limiter.take('b'), 0, 'another client has its own bucket');
});

test('the number of clients tracked is bounded', () => {
  const limiter = new RateLimiter(1, 1, () => 0);
  for (let i = 0; i < 20_000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
  assert.equal(limiter.clients, 10_000);
});
