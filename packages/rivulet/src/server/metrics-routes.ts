import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Engine } from '../engine.ts';
import type { PartitionStats } from '../log/index.ts';
import type { RunMetrics } from '../runtime/index.ts';
import { latestRuns } from './latest-runs.ts';
import { type HistogramSeries, SnapshotHistogram } from './snapshot-histogram.ts';

/** What one scrape reads, once, before the registry formats it. */
interface Scrape {
  runs: RunMetrics[];
  partitions: PartitionStats[];
}

type Sample = [labels: Record<string, string>, value: number];

const STATES: ReadonlyArray<RunMetrics['state']> = ['running', 'stopped', 'failed'];

/**
 * GET /metrics: the engine's counters in the Prometheus text format, from a prom-client Registry of
 * this app's own (never the global one). Nothing is counted here: every metric reads the snapshot taken
 * at the start of the scrape (PipelineRunner.metrics() of the newest run of each pipeline, and
 * Log.partitionStats()), so one scrape is consistent. Every metric is listed in docs/metrics.md.
 */
export function registerMetricsRoutes(app: FastifyInstance, engine: Engine): void {
  const registry = new Registry();
  let scrape: Scrape = { runs: [], partitions: [] };

  const counter = (name: string, help: string, labelNames: string[], read: (s: Scrape) => Sample[]): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of read(scrape)) this.inc(labels, value);
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: string[], read: (s: Scrape) => Sample[]): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of read(scrape)) this.set(labels, value);
      },
    });
  };
  const histogram = (name: string, help: string, read: (s: Scrape) => HistogramSeries[]): void => {
    registry.registerMetric(new SnapshotHistogram(name, help, () => read(scrape)).asMetric());
  };
  const perRun = <T>(
    s: Scrape,
    items: (run: RunMetrics) => readonly T[],
    sample: (item: T, pipeline: string) => Sample | undefined,
  ): Sample[] =>
    s.runs.flatMap((run) =>
      items(run).flatMap((item) => {
        const out = sample(item, run.pipeline);
        return out === undefined ? [] : [out];
      }),
    );
  const perPartition = (s: Scrape, value: (p: PartitionStats) => number): Sample[] =>
    s.partitions.map((p) => [{ topic: p.topic, partition: String(p.partition) }, value(p)]);

  gauge(
    'rivulet_pipeline_state',
    'Pipeline run state: 1 for the current state of the newest run of each pipeline, 0 for the others.',
    ['pipeline', 'state'],
    (s) =>
      s.runs.flatMap((run) =>
        STATES.map((state): Sample => [{ pipeline: run.pipeline, state }, run.state === state ? 1 : 0]),
      ),
  );
  counter(
    'rivulet_pipeline_records_in_total',
    'Records read from the pipeline inputs (sources and repartition topics), as of the last checkpoint.',
    ['pipeline'],
    (s) => s.runs.map((run) => [{ pipeline: run.pipeline }, run.recordsIn]),
  );
  counter(
    'rivulet_operator_records_in_total',
    'Records handed to an operator in a task, as of the last checkpoint.',
    ['pipeline', 'operator', 'task'],
    (s) =>
      perRun(
        s,
        (r) => r.operators,
        (o, pipeline) => [{ pipeline, operator: o.operator, task: o.task }, o.recordsIn],
      ),
  );
  counter(
    'rivulet_operator_records_out_total',
    'Records an operator passed on in a task (for a sink: records written), as of the last checkpoint.',
    ['pipeline', 'operator', 'task'],
    (s) =>
      perRun(
        s,
        (r) => r.operators,
        (o, pipeline) => [{ pipeline, operator: o.operator, task: o.task }, o.recordsOut],
      ),
  );
  histogram(
    'rivulet_task_step_duration_seconds',
    'Time a task spent processing the input batches of one step.',
    (s) =>
      s.runs.flatMap((run) =>
        run.stepLatency.map((l) => ({
          labels: { pipeline: run.pipeline, task: l.task },
          histogram: l.histogram,
        })),
      ),
  );
  histogram(
    'rivulet_sink_latency_seconds',
    'End-to-end latency at a sink: processing time when a record is written minus its timestamp.',
    (s) =>
      s.runs.flatMap((run) =>
        run.sinkLatency.map((l) => ({
          labels: { pipeline: run.pipeline, operator: l.operator, task: l.task },
          histogram: l.histogram,
        })),
      ),
  );
  histogram(
    'rivulet_checkpoint_duration_seconds',
    'Time a checkpoint took, from asking the tasks for their cuts to the checkpoint record appended.',
    (s) => s.runs.map((run) => ({ labels: { pipeline: run.pipeline }, histogram: run.checkpointDuration })),
  );
  gauge(
    'rivulet_consumer_lag_records',
    'Records in an input partition past the position of the last checkpoint.',
    ['pipeline', 'topic', 'partition'],
    (s) =>
      perRun(
        s,
        (r) => r.consumerLag,
        (l, pipeline) => [{ pipeline, topic: l.topic, partition: String(l.partition) }, l.lag],
      ),
  );
  gauge(
    'rivulet_watermark_lag_seconds',
    'Processing time minus the watermark of an event-time operator (absent until it has a watermark).',
    ['pipeline', 'operator'],
    (s) =>
      perRun(
        s,
        (r) => r.watermarkLag,
        (l, pipeline) =>
          l.lagMs === null ? undefined : [{ pipeline, operator: l.operator }, l.lagMs / 1000],
      ),
  );
  counter(
    'rivulet_late_records_total',
    'Records that arrived after all their windows closed, per windowed aggregation or join.',
    ['pipeline', 'operator'],
    (s) =>
      perRun(
        s,
        (r) => r.late,
        (l, pipeline) => [{ pipeline, operator: l.operator }, l.records],
      ),
  );
  counter(
    'rivulet_skipped_records_total',
    'Records dropped by a skip error policy, per boundary (deserialize, process, produce).',
    ['pipeline', 'boundary'],
    (s) =>
      perRun(
        s,
        (r) => r.errors,
        (e, pipeline) => [{ pipeline, boundary: e.boundary }, e.skipped],
      ),
  );
  counter(
    'rivulet_dead_lettered_records_total',
    'Records sent to a dead-letter topic by an error policy, per boundary.',
    ['pipeline', 'boundary'],
    (s) =>
      perRun(
        s,
        (r) => r.errors,
        (e, pipeline) => [{ pipeline, boundary: e.boundary }, e.deadLettered],
      ),
  );
  gauge(
    'rivulet_store_entries',
    'Entries in a state store, summed over its partitions, as of the last checkpoint.',
    ['pipeline', 'store'],
    (s) =>
      perRun(
        s,
        (r) => r.storeEntries,
        (e, pipeline) => [{ pipeline, store: e.store }, e.entries],
      ),
  );
  counter(
    'rivulet_source_records_in_total',
    'Records a source connector read into its ingest topic in this run (acknowledged to the external system at checkpoints).',
    ['pipeline', 'source'],
    (s) =>
      perRun(
        s,
        (r) => r.sources,
        (c, pipeline) => [{ pipeline, source: c.source }, c.recordsIn],
      ),
  );
  counter(
    'rivulet_sink_records_delivered_total',
    'Records handed to a sink connector in this run (a replay after a failure counts again).',
    ['pipeline', 'sink'],
    (s) =>
      perRun(
        s,
        (r) => r.sinks,
        (c, pipeline) => [{ pipeline, sink: c.sink }, c.delivered],
      ),
  );
  gauge(
    'rivulet_sink_lag_records',
    "Records committed to a sink connector's outbox but not yet committed to the sink.",
    ['pipeline', 'sink'],
    (s) =>
      perRun(
        s,
        (r) => r.sinks,
        (c, pipeline) => [{ pipeline, sink: c.sink }, c.lag],
      ),
  );
  gauge('rivulet_log_size_bytes', 'Bytes of a log partition on disk.', ['topic', 'partition'], (s) =>
    perPartition(s, (p) => p.sizeBytes),
  );
  gauge(
    'rivulet_log_high_watermark',
    'The offset past the last acknowledged record of a log partition.',
    ['topic', 'partition'],
    (s) => perPartition(s, (p) => p.highWatermark),
  );
  gauge(
    'rivulet_log_start_offset',
    'The first offset still kept in a log partition (after retention).',
    ['topic', 'partition'],
    (s) => perPartition(s, (p) => p.logStartOffset),
  );
  counter(
    'rivulet_log_appended_records_total',
    'Records appended to a log partition since the log was opened.',
    ['topic', 'partition'],
    (s) => perPartition(s, (p) => p.appendedRecords),
  );
  counter(
    'rivulet_log_appended_bytes_total',
    'Bytes appended to a log partition since the log was opened (encoded batches).',
    ['topic', 'partition'],
    (s) => perPartition(s, (p) => p.appendedBytes),
  );
  histogram(
    'rivulet_log_fsync_duration_seconds',
    'Durable syncs of a log partition: fdatasyncs, and the O_DSYNC group writes of fsync durability.',
    (s) =>
      s.partitions.map((p) => ({
        labels: { topic: p.topic, partition: String(p.partition) },
        histogram: p.syncs,
      })),
  );

  app.get('/metrics', async (_request, reply) => {
    scrape = {
      runs: latestRuns(engine).map((run) => run.metrics()),
      partitions: engine.log.closed ? [] : engine.log.partitionStats(),
    };
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
