import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEngineError } from './engine-error.ts';
import { armFailpoint, armFailpointsFrom, disarmFailpoints, failpoint } from './failpoint.ts';

test('an armed throw failpoint fires on the n-th hit, once', () => {
  armFailpoint('unit.step', 'throw', 3);
  failpoint('unit.step');
  failpoint('unit.step');
  assert.throws(
    () => failpoint('unit.step'),
    (e) => isEngineError(e, 'FAILPOINT'),
  );
  failpoint('unit.step');
  disarmFailpoints();
});

test('failpoint specs are parsed; malformed ones are refused', () => {
  armFailpointsFrom('a.b:throw, c.d:throw@2');
  assert.throws(
    () => failpoint('a.b'),
    (e) => isEngineError(e, 'FAILPOINT'),
  );
  failpoint('c.d');
  assert.throws(
    () => failpoint('c.d'),
    (e) => isEngineError(e, 'FAILPOINT'),
  );
  assert.throws(
    () => armFailpointsFrom('nope'),
    (e) => isEngineError(e, 'INVALID_ARGUMENT'),
  );
  assert.throws(
    () => armFailpointsFrom('a:explode'),
    (e) => isEngineError(e, 'INVALID_ARGUMENT'),
  );
  disarmFailpoints();
  failpoint('a.b');
});
