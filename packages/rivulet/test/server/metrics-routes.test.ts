import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { registerMetricsRoutes } from '../../src/server/index.ts';
import { kept } from '../runtime/fixtures/metrics-pipeline.ts';
import { clicks, withStoppedRun } from './stopped-run.ts';

/**
 * GET /metrics over a stopped run of the metrics pipeline, parsed by a small exposition parser written
 * here: every family has HELP and TYPE; the operator counters equal the runtime's snapshot and, summed,
 * the plain count of the input; histograms are cumulative, end at le="+Inf" equal to _count, and match
 * the snapshot's buckets; log counters equal what was appended; docs/metrics.md documents exactly the
 * families exposed.
 */
interface Sample {
  name: string;
  labels: Map<string, string>;
  value: number;
}

interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  assert.ok(!Number.isNaN(value) || text === 'NaN', `a number: ${text}`);
  return value;
}

function parseLabels(text: string): Map<string, string> {
  const labels = new Map<string, string>();
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
  while (pattern.lastIndex < text.length) {
    const start = pattern.lastIndex;
    const match = pattern.exec(text);
    assert.ok(match !== null, `labels parse at ${start}: ${text}`);
    labels.set(
      match[1]!,
      match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
    );
  }
  return labels;
}

function parseExposition(text: string): Exposition {
  const out: Exposition = { help: new Map(), type: new Map(), samples: [] };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment !== null) {
      (comment[1] === 'HELP' ? out.help : out.type).set(comment[2]!, comment[3]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample !== null, `a sample line: ${line}`);
    out.samples.push({
      name: sample[1]!,
      labels: parseLabels(sample[2] ?? ''),
      value: parseValue(sample[3]!),
    });
  }
  return out;
}

/** The family a sample belongs to (a histogram's _bucket/_sum/_count lines belong to the histogram). */
function family(exposition: Exposition, name: string): string {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return exposition.type.get(base) === 'histogram' ? base : name;
}

function key(labels: Map<string, string>): string {
  return JSON.stringify([...labels].filter(([k]) => k !== 'le').sort());
}

function find(exposition: Exposition, name: string, labels: Record<string, string>): Sample[] {
  return exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v),
  );
}

function one(exposition: Exposition, name: string, labels: Record<string, string>): number {
  const found = find(exposition, name, labels).filter((s) => !s.labels.has('le'));
  assert.equal(found.length, 1, `one ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}

test('GET /metrics exposes the runtime and log counters in the Prometheus text format', async () => {
  const input = clicks(500);
  await withStoppedRun(input, async (engine, run) => {
    const app = Fastify();
    registerMetricsRoutes(app, engine);
    try {
      const response = await app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      const exposition = parseExposition(response.body);
      const metrics = run.metrics();

      // Every sample's family is described.
      for (const s of exposition.samples) {
        const name = family(exposition, s.name);
        assert.ok(exposition.help.has(name) && exposition.type.has(name), `HELP and TYPE for ${name}`);
        assert.ok(name.startsWith('rivulet_'), name);
      }

      // Operator counters: the snapshot's, one series each; the source's add up to the input.
      for (const direction of ['in', 'out'] as const) {
        const name = `rivulet_operator_records_${direction}_total`;
        assert.equal(exposition.type.get(name), 'counter');
        assert.equal(find(exposition, name, {}).length, metrics.operators.length);
        for (const o of metrics.operators)
          assert.equal(
            one(exposition, name, { pipeline: 'metrics', operator: o.operator, task: o.task }),
            direction === 'in' ? o.recordsIn : o.recordsOut,
          );
      }
      const sum = (name: string, labels: Record<string, string>) =>
        find(exposition, name, labels).reduce((n, s) => n + s.value, 0);
      assert.equal(sum('rivulet_operator_records_in_total', { operator: "source 'clicks'" }), input.length);
      const passed = input.filter(kept).length;
      assert.equal(sum('rivulet_operator_records_out_total', { operator: "sink 'counts-out'" }), passed);

      // Histograms: cumulative buckets ending at +Inf = _count, for every series of every histogram.
      const histograms = [...exposition.type].filter(([, t]) => t === 'histogram').map(([n]) => n);
      assert.deepEqual(histograms.sort(), [
        'rivulet_checkpoint_duration_seconds',
        'rivulet_log_fsync_duration_seconds',
        'rivulet_sink_latency_seconds',
        'rivulet_task_step_duration_seconds',
      ]);
      for (const name of histograms) {
        const series = new Map<string, Sample[]>();
        for (const s of find(exposition, `${name}_bucket`, {})) {
          const list = series.get(key(s.labels)) ?? [];
          list.push(s);
          series.set(key(s.labels), list);
        }
        assert.ok(series.size > 0, `${name} has series`);
        for (const [labels, buckets] of series) {
          const les = buckets.map((b) => parseValue(b.labels.get('le')!));
          assert.deepEqual(
            les,
            [...les].sort((a, b) => a - b),
            `${name} ${labels}: le ascending`,
          );
          assert.equal(les.at(-1), Number.POSITIVE_INFINITY);
          for (let i = 1; i < buckets.length; i++)
            assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${name} ${labels}: cumulative`);
          const count = exposition.samples.find(
            (s) => s.name === `${name}_count` && key(s.labels) === labels,
          );
          const total = exposition.samples.find((s) => s.name === `${name}_sum` && key(s.labels) === labels);
          assert.ok(count !== undefined && total !== undefined, `${name} ${labels}: _count and _sum`);
          assert.equal(buckets.at(-1)!.value, count.value, `${name} ${labels}: +Inf = _count`);
        }
      }
      // ... and they carry the snapshot's buckets (ms bounds as seconds).
      for (const { task, histogram } of metrics.stepLatency) {
        const buckets = find(exposition, 'rivulet_task_step_duration_seconds_bucket', {
          pipeline: 'metrics',
          task,
        });
        let cumulative = 0;
        histogram.bounds.forEach((bound, i) => {
          cumulative += histogram.counts[i]!;
          const line = buckets.find((b) => parseValue(b.labels.get('le')!) === bound / 1000);
          assert.equal(line?.value, cumulative, `step bucket le=${bound / 1000} of ${task}`);
        });
        assert.equal(one(exposition, 'rivulet_task_step_duration_seconds_count', { task }), histogram.count);
        assert.ok(
          Math.abs(
            one(exposition, 'rivulet_task_step_duration_seconds_sum', { task }) - histogram.sum / 1000,
          ) < 1e-9,
        );
      }
      assert.equal(sum('rivulet_sink_latency_seconds_count', { pipeline: 'metrics' }), passed);
      assert.equal(
        one(exposition, 'rivulet_checkpoint_duration_seconds_count', { pipeline: 'metrics' }),
        metrics.checkpoints,
      );

      // Pipeline and log gauges and counters.
      assert.equal(one(exposition, 'rivulet_pipeline_state', { pipeline: 'metrics', state: 'stopped' }), 1);
      assert.equal(one(exposition, 'rivulet_pipeline_state', { pipeline: 'metrics', state: 'running' }), 0);
      assert.equal(
        one(exposition, 'rivulet_pipeline_records_in_total', { pipeline: 'metrics' }),
        metrics.recordsIn,
      );
      assert.equal(
        one(exposition, 'rivulet_store_entries', { pipeline: 'metrics', store: 'clicks-per-user' }),
        new Set(input.filter(kept).map((c) => c.user)).size,
      );
      for (let p = 0; p < 2; p++) {
        const appended = input.filter((c) => c.n % 2 === p).length;
        const labels = { topic: 'clicks', partition: String(p) };
        assert.equal(one(exposition, 'rivulet_log_appended_records_total', labels), appended);
        assert.equal(one(exposition, 'rivulet_log_high_watermark', labels), appended);
        assert.equal(one(exposition, 'rivulet_consumer_lag_records', { pipeline: 'metrics', ...labels }), 0);
        const stats = engine.log.partitionStats().find((s) => s.topic === 'clicks' && s.partition === p)!;
        assert.equal(one(exposition, 'rivulet_log_appended_bytes_total', labels), stats.appendedBytes);
        assert.equal(one(exposition, 'rivulet_log_size_bytes', labels), stats.sizeBytes);
        assert.equal(one(exposition, 'rivulet_log_fsync_duration_seconds_count', labels), stats.syncs.count);
      }

      // docs/metrics.md documents exactly the families exposed.
      const doc = readFileSync(
        join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'metrics.md'),
        'utf8',
      );
      const documented = new Set([...doc.matchAll(/^\| `(rivulet_[a-z_]+)` \|/gm)].map((m) => m[1]!));
      assert.deepEqual([...documented].sort(), [...exposition.type.keys()].sort());
    } finally {
      await app.close();
    }
  });
});
