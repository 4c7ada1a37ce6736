import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { SinkConnector, SinkHarness, SourceConnector, SourceHarness } from '../connector/index.ts';
import { json, pipeline } from '../dsl/index.ts';
import { Log } from '../log/index.ts';
import { EngineError, isEngineError } from '../model/index.ts';
import { PipelineRunner, type RunOptions } from '../runtime/index.ts';
import { type MemorySink, type MemorySource, memorySink, memorySource } from './memory-connectors.ts';
import { waitUntil as until } from './wait-until.ts';

interface Row {
  key: string;
  seq: number;
}

async function withLog(body: (log: Log) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-connector-pipeline-'));
  const log = await Log.open({ dataDir });
  try {
    await body(log);
  } finally {
    await log.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function uniquePipelineName(): string {
  return `conformance-${randomBytes(4).toString('hex')}`;
}

function rows(from: number, count: number): Array<{ key: string; value: string }> {
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    const key = `k${seq % 7}`;
    return { key, value: JSON.stringify({ key, seq }) };
  });
}

function seqsOf(sink: MemorySink): number[] {
  return sink.records.map((r) => (JSON.parse(Buffer.from(r.value!).toString()) as Row).seq);
}

const OPTIONS: RunOptions = { commitIntervalMs: 50, errors: { deserialize: { deadLetter: 'dlq' } } };

/**
 * The engine-level half of the connector conformance suite: a connector driven by a real pipeline run
 * on the embedded log, with the same fixtures the connector-level suite uses. For a source: what the
 * fixture writes reaches the pipeline (exactly once, or at least once, as the source declares), across
 * a stop and a restart; a payload the pipeline cannot decode goes to the dead-letter topic with its
 * bytes while the rest flows. For a sink: a pipeline's output lands in the server, and a run that fails
 * mid-stream (no final checkpoint) then runs again leaves it exactly as the reference (transactional,
 * idempotent) or with every record at least once.
 */
export function connectorPipelineConformance(
  name: string,
  harnesses: { source?: SourceHarness; sink?: SinkHarness },
): void {
  const { source, sink } = harnesses;
  describe(`${name}: pipeline conformance`, () => {
    test('source: a pipeline reads every record, across a restart; bad payloads are dead-lettered (when the fixture can write raw values)', {
      timeout: 120_000,
      skip:
        source === undefined
          ? 'no source'
          : source.features.replay === 'at-most-once'
            ? 'at-most-once source: a record written while no reader is open is not delivered'
            : false,
    }, async () => {
      const fixture = await source!.create({ splits: source!.partitioned ? 2 : 1, restartable: false });
      try {
        await withLog(async (log) => {
          const out = memorySink();
          // A fresh pipeline name: sinks may keep positions under it in the server.
          const pipelineName = uniquePipelineName();
          const build = (connector: SourceConnector) => {
            const p = pipeline(pipelineName);
            p.from('in', connector, json<Row>()).to('out', out, json());
            return p.plan();
          };
          const raw = source!.rawValues !== false;
          await fixture.produce(rows(0, 150));
          if (raw) await fixture.produce([{ key: 'bad', value: 'not json {' }]);
          await fixture.produce(rows(150, 150));
          const first = await PipelineRunner.start(log, build(fixture.source), OPTIONS);
          await until(() => new Set(seqsOf(out)).size >= 300, '300 records through the pipeline', 60_000);
          await first.stop();
          await fixture.produce(rows(300, 100));
          const second = await PipelineRunner.start(log, build(fixture.source), OPTIONS);
          await until(() => new Set(seqsOf(out)).size >= 400, '400 records after the restart', 60_000);
          await second.stop();
          const seqs = seqsOf(out);
          assert.deepEqual(
            [...new Set(seqs)].sort((a, b) => a - b),
            Array.from({ length: 400 }, (_, i) => i),
            'every record arrived',
          );
          if (source!.features.replay === 'exactly-once')
            assert.equal(seqs.length, 400, 'no record arrived twice');
          if (!raw) return; // the fixture cannot write an undecodable payload
          const dlq = await log.fetch('dlq', 0, 0);
          assert.deepEqual(
            dlq.records.map((r) => r.valueString()),
            ['not json {'],
            'the undecodable payload is dead-lettered with its bytes',
          );
          assert.equal(
            Buffer.from(dlq.records[0]!.headers!.get('rivulet.error.code')!).toString(),
            'INVALID_JSON',
          );
        });
      } finally {
        await fixture.close();
      }
    });

    test('sink: a run failed mid-stream and run again leaves the server equal to the reference', {
      timeout: 120_000,
      skip: sink === undefined ? 'no sink' : false,
    }, async () => {
      const fixture = await sink!.create({ restartable: false });
      try {
        await withLog(async (log) => {
          const input: MemorySource = memorySource(['a']);
          const pipelineName = uniquePipelineName();
          const build = (connector: SinkConnector) => {
            const p = pipeline(pipelineName);
            p.from('in', input, json<Row>()).to('out', connector, json());
            return p.plan();
          };
          const feed = (from: number, count: number) =>
            input.append(
              'a',
              rows(from, count).map((r, i) => ({
                key: Buffer.from(r.key),
                value: Buffer.from(r.value),
                timestamp: 1_700_000_000_000 + from + i,
                headers: undefined,
              })),
            );
          const held = async (count: number) => {
            const stored = await fixture.readAll();
            return new Set(stored.map((s) => s.value?.seq)).size >= (sink!.upsert ? 7 : count);
          };
          feed(0, 200);
          const first = await PipelineRunner.start(log, build(fixture.sink), OPTIONS);
          await until(() => held(200), '200 records in the server', 60_000);
          feed(200, 200);
          input.failNextPoll('a', new EngineError('CONNECTOR_FAILED', 'crash', { retryable: false }));
          await assert.rejects(first.done, (e) => isEngineError(e, 'CONNECTOR_FAILED'));
          const second = await PipelineRunner.start(log, build(fixture.sink), OPTIONS);
          const allThere = async () => {
            const stored = await fixture.readAll();
            const seqs = new Set(stored.map((s) => s.value?.seq as number));
            return sink!.upsert ? [...seqs].every((s) => s >= 393) && seqs.size === 7 : seqs.size >= 400;
          };
          await until(allThere, 'all 400 records in the server', 60_000);
          await second.stop();
          const stored = await fixture.readAll();
          const seqs = stored.map((s) => s.value?.seq as number);
          if (sink!.upsert) {
            assert.deepEqual(
              [...seqs].sort((a, b) => a - b),
              [393, 394, 395, 396, 397, 398, 399],
              'the last row per key',
            );
          } else {
            assert.deepEqual(
              [...new Set(seqs)].sort((a, b) => a - b),
              Array.from({ length: 400 }, (_, i) => i),
            );
            if (sink!.guarantee !== 'at-least-once') assert.equal(seqs.length, 400, 'no duplicates');
          }
        });
      } finally {
        await fixture.close();
      }
    });
  });
}
