import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEngineError } from '../../src/index.ts';
import { TestDriver } from '../../src/testing/index.ts';
import {
  GOOD_1,
  GOOD_2,
  itemsPipeline,
  MALFORMED,
  SCHEMA,
  THROWS,
  UNENCODABLE,
} from './fixtures/items-pipeline.ts';

/**
 * The test driver applies the error policies as a real run does (error-policies.test.ts runs the same
 * inputs on the runtime): under `fail` the first bad record throws from pipeRawInput; under `skip` only
 * the good records come out and each drop is counted at its boundary; under `deadLetter` the bad records
 * are kept with their exact input bytes and the rivulet.* headers, the source offset being the record's
 * index among those piped to its topic.
 */
const INPUTS = [GOOD_1, MALFORMED, SCHEMA, THROWS, UNENCODABLE, GOOD_2];

function pipeAll(driver: TestDriver): void {
  for (const input of INPUTS) driver.pipeRawInput('items', Buffer.from(input), { key: Buffer.from('k') });
}

const text = (bytes: Uint8Array | null | undefined) => (bytes == null ? null : Buffer.from(bytes).toString());

test('test driver, fail (default): the first bad record throws with its code', () => {
  const driver = new TestDriver(itemsPipeline());
  driver.pipeRawInput('items', Buffer.from(GOOD_1));
  assert.throws(
    () => driver.pipeRawInput('items', Buffer.from(MALFORMED)),
    (e) => isEngineError(e, 'INVALID_JSON'),
  );
});

test('test driver, skip: good records out, drops counted per boundary', () => {
  const driver = new TestDriver(itemsPipeline(), {
    errors: { deserialize: 'skip', process: 'skip', produce: 'skip' },
  });
  pipeAll(driver);
  assert.deepEqual(
    driver.readOutput('out').map((r) => r.value),
    [
      { id: 1, doubled: 2 },
      { id: 6, doubled: 4 },
    ],
  );
  assert.deepEqual(driver.errorCounts(), {
    deserialize: { skipped: 2, deadLettered: 0 },
    process: { skipped: 1, deadLettered: 0 },
    produce: { skipped: 1, deadLettered: 0 },
  });
});

test('test driver, deadLetter: bad records kept with their bytes and rivulet.* headers', () => {
  const driver = new TestDriver(itemsPipeline(), {
    errors: {
      deserialize: { deadLetter: 'dlq' },
      process: { deadLetter: 'dlq' },
      produce: { deadLetter: 'dlq' },
    },
  });
  pipeAll(driver);
  assert.equal(driver.readOutput('out').length, 2);
  const letters = driver.readDeadLetters('dlq').map((r) => ({
    value: text(r.value),
    key: text(r.key),
    boundary: text(r.headers.get('rivulet.boundary')),
    code: text(r.headers.get('rivulet.error.code')),
    topic: text(r.headers.get('rivulet.source.topic')),
    offset: text(r.headers.get('rivulet.source.offset')),
    operator: text(r.headers.get('rivulet.operator')),
  }));
  assert.deepEqual(letters, [
    {
      value: MALFORMED,
      key: 'k',
      boundary: 'deserialize',
      code: 'INVALID_JSON',
      topic: 'items',
      offset: '1',
      operator: "source 'items'",
    },
    {
      value: SCHEMA,
      key: 'k',
      boundary: 'deserialize',
      code: 'INVALID_RECORD',
      topic: 'items',
      offset: '2',
      operator: "source 'items'",
    },
    {
      value: THROWS,
      key: 'k',
      boundary: 'process',
      code: 'PROCESSING_FAILED',
      topic: 'items',
      offset: '3',
      operator: 'map#1',
    },
    {
      value: UNENCODABLE,
      key: 'k',
      boundary: 'produce',
      code: 'PROCESSING_FAILED',
      topic: 'items',
      offset: '4',
      operator: "sink 'out'",
    },
  ]);
  assert.deepEqual(driver.readDeadLetters('dlq'), [], 'read once');
  assert.throws(() => new TestDriver(itemsPipeline(), { errors: { process: { deadLetter: '' } } }));
});
