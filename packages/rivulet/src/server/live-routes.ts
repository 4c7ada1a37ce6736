import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.ts';
import { type IntervalLatency, intervalLatency, sumCounts } from './latency-percentiles.ts';
import { latestRuns } from './latest-runs.ts';
import { isSameOrigin } from './origin-check.ts';
import { type PipelineStatusJson, pipelineStatusJson } from './pipeline-status-json.ts';
import { refuse } from './send-error.ts';

/** How often a snapshot is sent. */
const SNAPSHOT_INTERVAL_MS = 1000;
/** A client this far behind (bytes queued on its socket) misses snapshots until it catches up. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** The message WS /api/live sends every second (docs: the API contract). */
export interface LiveSnapshot {
  type: 'snapshot';
  /** Processing time of the snapshot (ms since the epoch). */
  time: number;
  pipelines: PipelineStatusJson[];
  operators: Array<{
    pipeline: string;
    operator: string;
    task: string;
    recordsIn: number;
    recordsOut: number;
  }>;
  topics: Array<{
    name: string;
    partitions: Array<{ partition: number; highWatermark: number; sizeBytes: number }>;
  }>;
  /**
   * Per pipeline, latency percentiles over the interval since the previous snapshot of the same
   * connection (the first: since the run started), summed over the tasks (docs/metrics.md): `step`,
   * processing time of the tasks' steps; `sinks`, end-to-end latency per sink operator (ms).
   */
  latency: Array<{
    pipeline: string;
    step: IntervalLatency;
    sinks: Array<{ operator: string } & IntervalLatency>;
  }>;
}

/**
 * The cumulative bucket counts of the previous snapshot, per pipeline's steps and per sink: what the next
 * snapshot's interval percentiles are taken against. One per WebSocket connection.
 */
export class LatencyBuckets {
  #previous = new Map<string, number[]>();

  /** The interval latency of `key` from `now` (cumulative counts), remembering `now` for the next call. */
  interval(
    next: Map<string, number[]>,
    key: string,
    bounds: readonly number[],
    now: number[],
  ): IntervalLatency {
    next.set(key, now);
    return intervalLatency(bounds, now, this.#previous.get(key));
  }

  /** Replaces the remembered counts by those of the snapshot just taken (series gone are forgotten). */
  commit(next: Map<string, number[]>): void {
    this.#previous = next;
  }
}

const NO_LATENCY: IntervalLatency = { count: 0, p50: null, p99: null };

/**
 * The engine now: the newest run of each pipeline, its operators' counts, and the ends of the topics
 * `listTopics()` lists (all but the engine's own `__` topics).
 */
export function liveSnapshot(engine: Engine, buckets: LatencyBuckets = new LatencyBuckets()): LiveSnapshot {
  const runs = latestRuns(engine);
  const metrics = runs.map((run) => run.metrics());
  const next = new Map<string, number[]>();
  const latency = metrics.map((m): LiveSnapshot['latency'][number] => {
    const step = sumCounts(m.stepLatency.map((s) => s.histogram));
    const sinkNames = [...new Set(m.sinkLatency.map((s) => s.operator))].sort();
    return {
      pipeline: m.pipeline,
      step: step === undefined ? NO_LATENCY : buckets.interval(next, m.pipeline, step.bounds, step.counts),
      sinks: sinkNames.map((operator) => {
        const sink = sumCounts(m.sinkLatency.filter((s) => s.operator === operator).map((s) => s.histogram))!;
        return {
          operator,
          ...buckets.interval(next, `${m.pipeline}\u0000${operator}`, sink.bounds, sink.counts),
        };
      }),
    };
  });
  buckets.commit(next);
  const topics = new Map<string, LiveSnapshot['topics'][number]>();
  if (!engine.log.closed)
    for (const p of engine.log.partitionStats()) {
      if (p.internal) continue;
      let topic = topics.get(p.topic);
      if (topic === undefined) {
        topic = { name: p.topic, partitions: [] };
        topics.set(p.topic, topic);
      }
      topic.partitions.push({
        partition: p.partition,
        highWatermark: p.highWatermark,
        sizeBytes: p.sizeBytes,
      });
    }
  return {
    type: 'snapshot',
    time: engine.log.clock.now(),
    pipelines: runs.map(pipelineStatusJson),
    operators: metrics.flatMap((m, i) =>
      m.operators.map((o) => ({
        pipeline: runs[i]!.plan.pipeline,
        operator: o.operator,
        task: o.task,
        recordsIn: o.recordsIn,
        recordsOut: o.recordsOut,
      })),
    ),
    topics: [...topics.values()],
    latency,
  };
}

/**
 * WS /api/live: a LiveSnapshot at once, then every second, until the client goes; each connection keeps
 * the previous snapshot's latency buckets, so its percentiles cover the second since its last snapshot. A browser page of
 * another origin is refused with 403 before the upgrade (origin-check.ts). Needs @fastify/websocket
 * registered on `app` first. A snapshot that cannot be taken closes the socket with 1011.
 */
export function registerLiveRoutes(app: FastifyInstance, engine: Engine): void {
  app.get(
    '/api/live',
    {
      websocket: true,
      preValidation: async (request, reply) => {
        if (!isSameOrigin(request))
          return refuse(reply, 403, 'FORBIDDEN', `WebSocket from origin ${request.headers.origin} refused`);
      },
    },
    (socket: WebSocket) => {
      const buckets = new LatencyBuckets();
      const send = (): void => {
        if (socket.readyState !== socket.OPEN || socket.bufferedAmount > MAX_BUFFERED_BYTES) return;
        let message: string;
        try {
          message = JSON.stringify(liveSnapshot(engine, buckets));
        } catch {
          socket.close(1011, 'snapshot failed');
          return;
        }
        socket.send(message);
      };
      const timer = setInterval(send, SNAPSHOT_INTERVAL_MS);
      socket.on('close', () => clearInterval(timer));
      send();
    },
  );
}
