import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { webSocketSource } from '@rivulet/http';
import { parquetSink } from '@rivulet/parquet';
import { enrich, LAKE_COLUMNS, logLakePipeline } from '../../../../examples/s5-log-lake/pipeline.ts';
import { LogServerProcess, logPosition } from '../../../http/test/websocket-harness.ts';
import { createEngine, type Log, startServer } from '../../src/index.ts';
import { waitUntil } from '../../src/testing/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * S5: 2,400 log lines of four services over six minutes of event time, half over a WebSocket tail (a log
 * server child process that resumes from a position), half posted as NDJSON to `rivulet serve`. The
 * pipeline stops half way and starts again. Checked against plain loops: DuckDB reads every line exactly
 * once from the Parquet files (and each file sits in its line's `date=/hour=` directory), and the error
 * counts per service and minute, and the alarms over the threshold, equal a count over the input.
 */
const THRESHOLD = 25;
const TOKEN = 'secret-token';

interface Line {
  ts: number;
  line: string;
  labels: Record<string, string>;
}

function logLines(seed: number, count: number): Line[] {
  const random = new SeededRandom(seed);
  const services = ['checkout', 'search', 'auth', 'cart'];
  const start = Date.UTC(2026, 11, 7, 22, 57, 0); // crosses an hour boundary
  return Array.from({ length: count }, (_, i) => {
    const service = random.pick(services);
    // 'auth' has error bursts, so some minutes go over the threshold whatever the seed.
    const error = random.between(0, 99) < (service === 'auth' ? 45 : 8);
    const inLine = random.between(0, 1) === 0;
    const labels: Record<string, string> = { service };
    if (!inLine) labels.level = error ? 'error' : 'info';
    return {
      ts: start + Math.floor((i * 360_000) / count) + random.between(0, 2_000),
      line: `${inLine ? (error ? 'ERROR' : 'INFO') : ''} request ${i} took ${random.between(1, 900)} ms`.trim(),
      labels,
    };
  });
}

async function committedValues(log: Log, topic: string): Promise<unknown[]> {
  const values: unknown[] = [];
  let offset = 0;
  for (;;) {
    const fetched = await log.fetch(topic, 0, offset, undefined, 'committed');
    for (const r of fetched.records) values.push(JSON.parse(r.valueString()!));
    if (fetched.nextOffset <= offset) return values;
    offset = fetched.nextOffset;
  }
}

async function lakeRows(dir: string): Promise<
  Array<{
    ts: number;
    line: string;
    service: string;
    severity: string;
    via: string;
    date: string;
    hour: string;
  }>
> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT epoch_ms(ts) AS ts, line, service, severity, via, date, hour FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true)`,
    );
    return reader.getRowObjects().map((r) => ({
      ts: Number(r.ts),
      line: String(r.line),
      service: String(r.service),
      severity: String(r.severity),
      via: String(r.via),
      date: String(r.date),
      hour: String(r.hour),
    }));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

test('S5 log lake: every line in Parquet exactly once, error counts and alarms equal plain loops, across a restart', {
  timeout: 180_000,
}, async () => {
  const lines = logLines(faultSeed('s5-log-lake'), 2400);
  const viaTail = lines.filter((_, i) => i % 2 === 0);
  const viaHttp = lines.filter((_, i) => i % 2 === 1);
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-s5-'));
  const lakeDir = join(dataDir, 'lake');
  const tailServer = await LogServerProcess.start();
  const engine = await createEngine({ dataDir: join(dataDir, 'log'), maintenanceInterval: false });
  const server = await startServer(engine, { token: TOKEN });
  try {
    await engine.log.createTopic('http-logs', { partitions: 1 });
    const build = () =>
      logLakePipeline({
        tail: webSocketSource({ url: (p) => tailServer.tailUrl(p), positionOf: logPosition }),
        lake: parquetSink({ dir: lakeDir, columns: LAKE_COLUMNS, partitionBy: 'date/hour' }),
        threshold: THRESHOLD,
      });
    const post = async (batch: Line[]) => {
      const response = await fetch(`${server.address}/api/topics/http-logs/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' },
        body: batch.map((l) => JSON.stringify({ key: null, value: l, timestamp: l.ts })).join('\n'),
      });
      assert.equal(response.status, 200, await response.text());
    };
    const half = (list: Line[], which: 0 | 1) =>
      list.slice(which * (list.length / 2), (which + 1) * (list.length / 2));
    const lakeCount = async () => (await lakeRows(lakeDir).catch(() => [])).length;

    let run = await engine.run(build(), { commitIntervalMs: 50 });
    await tailServer.append(half(viaTail, 0).map((l) => JSON.stringify(l)));
    await post(half(viaHttp, 0));
    await waitUntil(async () => (await lakeCount()) >= 1200, 'the first half in the lake');
    await run.stop();

    run = await engine.run(build(), { commitIntervalMs: 50 });
    await tailServer.append(half(viaTail, 1).map((l) => JSON.stringify(l)));
    await post(half(viaHttp, 1));
    // Close every window: a line far in the future on each input.
    const flush: Line = { ts: lines.at(-1)!.ts + 3_600_000, line: 'flush', labels: { service: 'flush' } };
    await tailServer.append([JSON.stringify(flush)]);
    await post([flush]);

    // Reference: error counts per service and minute.
    const counts = new Map<string, number>();
    for (const l of lines) {
      const row = enrich({ ...l, labels: l.labels }, 'http');
      if (row.severity !== 'error') continue;
      const start = l.ts - (l.ts % 60_000);
      const id = `${row.service}|${start}`;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const windows = async () =>
      (await committedValues(engine.log, 'error-counts')) as Array<{
        key: string;
        window: { start: number };
        value: number;
      }>;
    await waitUntil(async () => (await windows()).length >= counts.size, `${counts.size} error windows`);
    await waitUntil(async () => (await lakeCount()) >= 2402, 'every line in the lake');
    await run.stop();

    const got = new Map((await windows()).map((w) => [`${w.key}|${w.window.start}`, w.value]));
    assert.equal((await windows()).length, counts.size, 'one final count per window');
    assert.deepEqual(got, counts);
    const alarms = (await committedValues(engine.log, 'error-alarms')) as Array<{
      key: string;
      window: { start: number };
      value: number;
    }>;
    const expectedAlarms = [...counts]
      .filter(([, n]) => n > THRESHOLD)
      .map(([id]) => id)
      .sort();
    assert.deepEqual(alarms.map((w) => `${w.key}|${w.window.start}`).sort(), expectedAlarms);
    assert.ok(expectedAlarms.length > 0, 'some minute went over the threshold');

    const rows = (await lakeRows(lakeDir)).filter((r) => r.service !== 'flush');
    const key = (ts: number, line: string) => `${ts}|${line}`;
    assert.equal(rows.length, lines.length, 'every line once');
    assert.deepEqual(
      new Set(rows.map((r) => key(r.ts, r.line))),
      new Set(lines.map((l) => key(l.ts, l.line))),
    );
    const tailKeys = new Set(viaTail.map((l) => key(l.ts, l.line)));
    for (const r of rows) {
      const at = new Date(r.ts);
      assert.equal(r.date, at.toISOString().slice(0, 10), `date directory of ${r.line}`);
      assert.equal(Number(r.hour), at.getUTCHours(), `hour directory of ${r.line}`);
      assert.equal(r.via, tailKeys.has(key(r.ts, r.line)) ? 'websocket' : 'http');
    }
    console.log(
      `[s5-log-lake] ${lines.length} lines (${viaTail.length} over WebSocket, ${viaHttp.length} over HTTP), ${counts.size} error windows, ${expectedAlarms.length} alarms, ${new Set(rows.map((r) => `${r.date}/${r.hour}`)).size} hour directories: = reference`,
    );
  } finally {
    await server.close();
    await engine.close();
    await tailServer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
