/**
 * S5, log ingestion to a data lake: log lines `{ ts, line, labels }` arrive over a WebSocket tail (like
 * Grafana Loki's; `webSocketSource`, resumed by position after a reconnect or a restart) and over HTTP
 * (`rivulet serve`'s produce route into the topic 'http-logs', which must have as many partitions as the
 * tail has splits: one). Each line is enriched (service and severity from its labels, else from the line)
 * and stored in Parquet files partitioned by `date/hour` (`parquetSink`: files appear atomically at
 * commits, no duplicate rows after a crash); errors are counted per service and minute of event time, with
 * an alarm for a minute over the threshold.
 *
 *   rivulet topics create http-logs --partitions 1
 *   S5_TAIL_URL=ws://127.0.0.1:3100/tail S5_LAKE_DIR=./lake rivulet run examples/s5-log-lake/pipeline.ts
 */
import { webSocketSource } from '@rivulet/http';
import { parquetSink } from '@rivulet/parquet';
import {
  boundedOutOfOrder,
  json,
  pipeline,
  type SinkConnector,
  type SourceConnector,
  topic,
  tumbling,
} from 'rivulet';
import { z } from 'zod';

export const LogLine = z.object({
  ts: z.number().int().nonnegative(),
  line: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
});
type LogLineT = z.infer<typeof LogLine>;

/** A row of the lake. */
export interface LakeRow {
  ts: number;
  service: string;
  severity: string;
  line: string;
  via: 'websocket' | 'http';
}

/** The lake's columns (parquetSink). */
export const LAKE_COLUMNS = {
  ts: 'TIMESTAMP',
  service: 'STRING',
  severity: 'STRING',
  line: 'STRING',
  via: 'STRING',
} as const;

const LEVEL_IN_LINE = /\b(ERROR|WARN|INFO|DEBUG)\b/;

/** Service from the `service` (or `app`) label; severity from the `level` label, else from the line. */
export function enrich(log: LogLineT, via: LakeRow['via']): LakeRow {
  const severity = log.labels.level ?? LEVEL_IN_LINE.exec(log.line)?.[1] ?? 'info';
  return {
    ts: log.ts,
    service: log.labels.service ?? log.labels.app ?? 'unknown',
    severity: severity.toLowerCase(),
    line: log.line,
    via,
  };
}

export function logLakePipeline(options: { tail: SourceConnector; lake: SinkConnector; threshold: number }) {
  const s5 = pipeline('log-lake');
  // Event time per input, so the merge holds its watermark at the slower one (the other is not late).
  const watermarks = boundedOutOfOrder('5s', { idleTimeout: '10s' });
  const tail = s5
    .from('tail-logs', options.tail, json(LogLine))
    .map((l) => enrich(l, 'websocket'))
    .eventTime((r) => r.ts, watermarks);
  const posted = s5
    .from('http-logs', topic('http-logs', json(LogLine)))
    .map((l) => enrich(l, 'http'))
    .eventTime((r) => r.ts, watermarks);
  const logs = tail.merge(posted);
  logs.to('lake', options.lake, json());
  const errorsPerMinute = logs
    .filter((r) => r.severity === 'error')
    .keyBy((r) => r.service)
    .window(tumbling('1m'))
    .count('errors-per-minute');
  errorsPerMinute.to('error-counts-out', topic('error-counts', json()));
  errorsPerMinute
    .filter((w) => w.value > options.threshold)
    .to('error-alarms-out', topic('error-alarms', json()));
  return s5;
}

export default logLakePipeline({
  tail: webSocketSource({
    url: (position) =>
      `${process.env.S5_TAIL_URL ?? 'ws://127.0.0.1:3100/tail'}${position === undefined ? '' : `?from=${position}`}`,
    // The tail's entries carry their position first: `{"n":<position>,...`.
    positionOf: (value) => String((JSON.parse(Buffer.from(value).toString()) as { n: number }).n),
  }),
  lake: parquetSink({
    dir: process.env.S5_LAKE_DIR ?? 'lake',
    columns: LAKE_COLUMNS,
    partitionBy: 'date/hour',
  }),
  threshold: Number(process.env.S5_THRESHOLD ?? 20),
});
