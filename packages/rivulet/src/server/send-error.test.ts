import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineError } from '../model/index.ts';
import { errorAnswer } from './send-error.ts';

test('log failures answer 503 LOG_UNAVAILABLE; other codes their documented status', () => {
  for (const code of [
    'LOG_CLOSED',
    'LOG_DISK_FULL',
    'LOG_IO_ERROR',
    'LOG_FSYNC_FAILED',
    'PARTITION_FAILED',
  ] as const) {
    const answer = errorAnswer(new EngineError(code, 'boom'));
    assert.deepEqual([answer.status, answer.code], [503, 'LOG_UNAVAILABLE'], code);
    assert.match(answer.message, new RegExp(`^${code}: boom`));
  }
  const expected: Array<[ConstructorParameters<typeof EngineError>[0], number]> = [
    ['UNKNOWN_TOPIC', 404],
    ['UNKNOWN_PARTITION', 404],
    ['UNKNOWN_STORE', 404],
    ['UNKNOWN_PIPELINE', 404],
    ['TOPIC_EXISTS', 409],
    ['IDEMPOTENCY_KEY_REUSED', 422],
    ['INVALID_RECORD', 400],
    ['INVALID_TOPIC_NAME', 400],
    ['OFFSET_OUT_OF_RANGE', 400],
    ['LOG_SEGMENT_CORRUPT', 500],
    ['INTERNAL', 500],
  ];
  for (const [code, status] of expected)
    assert.deepEqual(errorAnswer(new EngineError(code, 'x')), { status, code, message: 'x' });
  assert.deepEqual(errorAnswer(new TypeError('bad')), { status: 500, code: 'INTERNAL', message: 'bad' });
});
