import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from './duration.ts';
import { isEngineError } from './engine-error.ts';

test('parseDuration reads units and combinations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('7d'), 604_800_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration(42), 42);
});

test('parseDuration rejects anything else with INVALID_DURATION', () => {
  for (const bad of ['x', '5 minutes', '-5s', '5sx', 's', '1h 30m', '']) {
    assert.throws(
      () => parseDuration(bad),
      (e) => isEngineError(e, 'INVALID_DURATION'),
      bad,
    );
  }
  assert.throws(
    () => parseDuration(-1),
    (e) => isEngineError(e, 'INVALID_DURATION'),
  );
  assert.throws(
    () => parseDuration(Number.NaN),
    (e) => isEngineError(e, 'INVALID_DURATION'),
  );
  assert.throws(
    () => parseDuration(''),
    (e) => isEngineError(e, 'INVALID_DURATION'),
  );
});
