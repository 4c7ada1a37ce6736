import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nexmarkQueries } from '../../src/nexmark/index.ts';
import { END_OF_INPUT_WATERMARK } from '../../src/runtime/generator-input.ts';
import { compareRowMultisets } from './compare-rows.ts';
import { type NexmarkOracle, openNexmarkOracle } from './duckdb-oracle.ts';
import {
  type EventSource,
  generateEvents,
  type RunResult,
  runNexmarkQueries,
} from './run-nexmark-queries.ts';

/**
 * Every Nexmark query in the DSL against our DuckDB translation of it, over the same generated events:
 * 50,000 events per seed at 1,000 events/s of event time (50 s: several 10 s windows, unique
 * timestamps), three seeds. All queries run as one pipeline until drained; the append queries' rows and
 * the upsert queries' final tables must equal DuckDB's as multisets (floats within 1e-9 relative). The
 * first seed runs on the generator in-process (whose end closes every window: DuckDB's watermark is
 * then the end of time), the others read the events from a topic of the embedded log, as JSON and in
 * the binary format (the watermark stays 4 s behind the last event, so windows after it stay open on
 * both sides).
 */
const SEEDS = (process.env.NEXMARK_ORACLE_SEEDS ?? '1,2,3').split(',').map(Number);
const EVENTS = Number(process.env.NEXMARK_ORACLE_EVENTS ?? 50_000);
const RATE = 1000;
const queries = [...nexmarkQueries.values()];

for (const [index, seed] of SEEDS.entries()) {
  const source: EventSource =
    index === 0
      ? { kind: 'memory', seed, rate: RATE }
      : { kind: 'log', format: index === 1 ? 'json' : 'binary' };
  const from = source.kind === 'memory' ? 'in-process' : `log, ${source.format}`;
  describe(`Nexmark q0-q23 equal DuckDB (seed ${seed}, ${EVENTS} events, ${from})`, () => {
    const dir = mkdtempSync(join(tmpdir(), `rivulet-nexmark-${seed}-`));
    let result: RunResult;
    let oracle: NexmarkOracle;
    let finalWatermark: number;

    before(async () => {
      const eventsFile = join(dir, 'events.jsonl');
      const generated = await generateEvents(eventsFile, { seed, events: EVENTS, rate: RATE });
      finalWatermark = source.kind === 'memory' ? END_OF_INPUT_WATERMARK : generated.finalWatermark;
      result = await runNexmarkQueries(join(dir, 'log'), generated.events, queries, source);
      oracle = await openNexmarkOracle(eventsFile);
    });

    after(async () => {
      await oracle?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('ran without errors, late records or dropped records', () => {
      assert.equal(result.status.state, 'stopped');
      assert.deepEqual(result.status.errors, {});
      assert.equal(
        Object.values(result.status.late).reduce((a, b) => a + b, 0),
        0,
      );
    });

    for (const q of queries)
      it(`${q.name} (${q.output})`, async () => {
        const expected = await oracle.query(q.name, {
          watermark: finalWatermark,
          processingWindowStart: result.processingWindowStart,
        });
        const actual = result.rows.get(q.name)!;
        const comparison = compareRowMultisets(actual, expected);
        assert.ok(comparison.equal, `${q.name}: ${comparison.summary}`);
        // Every query has rows on 50,000 events; an empty result would compare equal to a broken oracle.
        assert.ok(expected.length > 0, `${q.name}: DuckDB found no rows`);
      });
  });
}
