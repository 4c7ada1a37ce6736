import { type LiveSnapshot, type PipelineStatus, pipelineName } from './api-types.ts';

/** Records per second of one operator (summed over its tasks) between two snapshots. */
export interface OperatorRate {
  inPerSecond: number;
  outPerSecond: number;
}

/** One point of history: the snapshot time (ms) and what was derived from it. */
export interface HistoryPoint {
  time: number;
  /** Keyed by operatorKey(pipeline, operator), and by nodeKey(pipeline, nodeId) where the snapshot has it. */
  rates: Map<string, OperatorRate>;
  /** Keyed by pipeline name, then watermark name. */
  watermarks: Map<string, Map<string, number | null>>;
  /** Keyed by pipeline name, then latencySeries(...): ms over the interval, null without observations. */
  latency: Map<string, Map<string, number | null>>;
}

/** The name of one latency series: `step p50`, or a sink's `<operator> p99`. */
export const latencySeries = (source: 'step' | string, percentile: 'p50' | 'p99'): string =>
  `${source} ${percentile}`;

export const operatorKey = (pipeline: string, operator: string): string => `${pipeline}\u0000${operator}`;

/** The key of a plan node's counters, when the snapshot names the node (`nodeId`). */
export const nodeKey = (pipeline: string, nodeId: string | number): string => `${pipeline}\u0001${nodeId}`;

interface Totals {
  recordsIn: number;
  recordsOut: number;
}

/**
 * Turns successive /api/live snapshots into rates and keeps the last `windowMs` of them. A rate is the
 * difference of an operator's counters over the time between two snapshots; a counter that went down
 * (the pipeline restarted) gives no rate for that interval rather than a negative one.
 */
export class LiveHistory {
  readonly windowMs: number;
  readonly points: HistoryPoint[] = [];
  #previous: { time: number; totals: Map<string, Totals> } | undefined;

  constructor(windowMs = 5 * 60_000) {
    this.windowMs = windowMs;
  }

  add(snapshot: LiveSnapshot): HistoryPoint | undefined {
    const totals = new Map<string, Totals>();
    const count = (key: string, op: { recordsIn: number; recordsOut: number }) => {
      const sum = totals.get(key) ?? { recordsIn: 0, recordsOut: 0 };
      sum.recordsIn += op.recordsIn;
      sum.recordsOut += op.recordsOut;
      totals.set(key, sum);
    };
    for (const op of snapshot.operators ?? []) {
      count(operatorKey(op.pipeline, op.operator), op);
      if (op.nodeId !== null && op.nodeId !== undefined) count(nodeKey(op.pipeline, op.nodeId), op);
    }
    const previous = this.#previous;
    this.#previous = { time: snapshot.time, totals };
    if (previous === undefined || snapshot.time <= previous.time) return undefined;
    const seconds = (snapshot.time - previous.time) / 1000;
    const rates = new Map<string, OperatorRate>();
    for (const [key, now] of totals) {
      const before = previous.totals.get(key) ?? { recordsIn: 0, recordsOut: 0 };
      if (now.recordsIn < before.recordsIn || now.recordsOut < before.recordsOut) continue;
      rates.set(key, {
        inPerSecond: (now.recordsIn - before.recordsIn) / seconds,
        outPerSecond: (now.recordsOut - before.recordsOut) / seconds,
      });
    }
    const point: HistoryPoint = {
      time: snapshot.time,
      rates,
      watermarks: new Map(
        (snapshot.pipelines ?? []).map((p: PipelineStatus) => [
          pipelineName(p),
          new Map(Object.entries(p.watermarks ?? {})),
        ]),
      ),
      latency: new Map(
        (snapshot.latency ?? []).map((l) => {
          const series = new Map<string, number | null>();
          series.set(latencySeries('step', 'p50'), l.step.p50);
          series.set(latencySeries('step', 'p99'), l.step.p99);
          for (const sink of l.sinks) {
            series.set(latencySeries(sink.operator, 'p50'), sink.p50);
            series.set(latencySeries(sink.operator, 'p99'), sink.p99);
          }
          return [l.pipeline, series];
        }),
      ),
    };
    this.points.push(point);
    while (this.points.length > 0 && this.points[0]!.time < snapshot.time - this.windowMs)
      this.points.shift();
    return point;
  }

  latest(): HistoryPoint | undefined {
    return this.points.at(-1);
  }
}
