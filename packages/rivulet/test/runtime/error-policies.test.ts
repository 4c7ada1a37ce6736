import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  createEngine,
  type Engine,
  type ErrorPolicies,
  isEngineError,
  type RunOptions,
} from '../../src/index.ts';
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
 * Error policies per boundary on the real runtime. Input: good records plus one malformed JSON line, one
 * schema violation (deserialize), one record whose map throws (process) and one whose output cannot be
 * encoded as JSON (produce). Under `fail` the pipeline stops naming operator, topic, partition and offset
 * and commits nothing of the failed step; under `skip` only good records come out and the drops are
 * counted; under `deadLetter` the bad records land in the DLQ topic with their exact input bytes and
 * the documented headers. Every case runs with the tasks in the calling thread and in a worker thread
 * (where errors, dead letters and their headers cross the thread boundary).
 */
const modes: Array<{ name: string; options: RunOptions }> = [
  { name: 'in-thread', options: {} },
  {
    name: 'worker thread',
    options: { parallelism: 2, module: join(import.meta.dirname, 'fixtures', 'items-pipeline.ts') },
  },
];

async function withEngine(inputs: string[], body: (engine: Engine) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-errors-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false });
  try {
    await engine.log.createTopic('items');
    await engine.log.append(
      'items',
      0,
      inputs.map((v, i) => ({
        key: Buffer.from(`k${i}`),
        value: Buffer.from(v),
        headers: new Map([['trace', Buffer.from(`t${i}`)]]),
        timestamp: 1000 + i,
      })),
    );
    await body(engine);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runToEnd(engine: Engine, errors: ErrorPolicies, options: RunOptions) {
  const run = await engine.run(itemsPipeline(), { ...options, errors, commitIntervalMs: 20 });
  assert.equal(run.status().workers, options.parallelism === undefined ? 0 : 1);
  while (run.status().state === 'running' && run.status().lag > 0)
    await new Promise((resolve) => setTimeout(resolve, 10));
  await run.stop();
  return run;
}

async function committed(engine: Engine, topicName: string) {
  const consumer = engine.log.createConsumer({ topics: [topicName], from: 'earliest', maxWaitMs: 20 });
  const records = (await consumer.poll()).flatMap((b) => b.records);
  consumer.close();
  return records;
}

const text = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString();

for (const mode of modes) {
  test(`fail (${mode.name}): the pipeline stops at the bad record naming operator, topic, partition and offset`, async () => {
    const cases: Array<{ bad: string; code: string; operator: string }> = [
      { bad: MALFORMED, code: 'INVALID_JSON', operator: "source 'items'" },
      { bad: SCHEMA, code: 'INVALID_RECORD', operator: "source 'items'" },
      { bad: THROWS, code: 'PROCESSING_FAILED', operator: 'map#1' },
      { bad: UNENCODABLE, code: 'PROCESSING_FAILED', operator: "sink 'out'" },
    ];
    for (const c of cases) {
      await withEngine([GOOD_1, c.bad, GOOD_2], async (engine) => {
        const run = await engine.run(itemsPipeline(), { ...mode.options, commitIntervalMs: 20 });
        await assert.rejects(run.done, (e) => {
          assert.ok(isEngineError(e), String(e));
          assert.equal(e.code, c.code, e.message);
          assert.deepEqual(
            [e.details.operator, e.details.topic, e.details.partition, e.details.offset],
            [c.operator, 'items', 0, 1],
          );
          return true;
        });
        assert.equal(run.status().state, 'failed');
        assert.deepEqual(await committed(engine, 'out'), [], 'nothing of the failed step is committed');
      });
    }
  });

  test(`skip (${mode.name}): only good records come out and every drop is counted by boundary`, async () => {
    await withEngine([GOOD_1, MALFORMED, SCHEMA, THROWS, UNENCODABLE, GOOD_2], async (engine) => {
      const run = await runToEnd(
        engine,
        { deserialize: 'skip', process: 'skip', produce: 'skip' },
        mode.options,
      );
      assert.deepEqual(
        (await committed(engine, 'out')).map((r) => r.valueString()),
        ['{"id":1,"doubled":2}', '{"id":6,"doubled":4}'],
      );
      assert.deepEqual(run.status().errors, {
        deserialize: { skipped: 2, deadLettered: 0 },
        process: { skipped: 1, deadLettered: 0 },
        produce: { skipped: 1, deadLettered: 0 },
      });
    });
  });

  test(`deadLetter (${mode.name}): bad records reach the DLQ with their exact bytes, headers and error context`, async () => {
    await withEngine([GOOD_1, MALFORMED, SCHEMA, THROWS, UNENCODABLE, GOOD_2], async (engine) => {
      await runToEnd(
        engine,
        {
          deserialize: { deadLetter: 'items-dlq' },
          process: { deadLetter: 'items-dlq' },
          produce: { deadLetter: 'items-dlq' },
        },
        mode.options,
      );
      assert.deepEqual(
        (await committed(engine, 'out')).map((r) => r.valueString()),
        ['{"id":1,"doubled":2}', '{"id":6,"doubled":4}'],
      );
      const dlq = await committed(engine, 'items-dlq');
      const expected = [
        {
          offset: 1,
          value: MALFORMED,
          boundary: 'deserialize',
          operator: "source 'items'",
          code: 'INVALID_JSON',
        },
        {
          offset: 2,
          value: SCHEMA,
          boundary: 'deserialize',
          operator: "source 'items'",
          code: 'INVALID_RECORD',
        },
        { offset: 3, value: THROWS, boundary: 'process', operator: 'map#1', code: 'PROCESSING_FAILED' },
        {
          offset: 4,
          value: UNENCODABLE,
          boundary: 'produce',
          operator: "sink 'out'",
          code: 'PROCESSING_FAILED',
        },
      ];
      assert.equal(dlq.length, expected.length);
      dlq.forEach((record, i) => {
        const e = expected[i]!;
        const h = (name: string) => text(record.headers?.get(name));
        assert.equal(record.valueString(), e.value, 'the raw input bytes');
        assert.equal(record.keyString(), `k${e.offset}`);
        assert.equal(record.timestamp, 1000 + e.offset);
        assert.equal(h('trace'), `t${e.offset}`, 'the input headers are kept');
        assert.deepEqual(
          [
            h('rivulet.source.topic'),
            h('rivulet.source.partition'),
            h('rivulet.source.offset'),
            h('rivulet.boundary'),
            h('rivulet.operator'),
            h('rivulet.error.code'),
          ],
          ['items', '0', String(e.offset), e.boundary, e.operator, e.code],
        );
        assert.ok((h('rivulet.error.message') ?? '').length > 0);
      });
      assert.match(text(dlq[2]!.headers?.get('rivulet.error.message')) ?? '', /unlucky thirteen/);
    });
  });
}
