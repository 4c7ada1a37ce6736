import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.ts';
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
}

/**
 * The engine now: the newest run of each pipeline, its operators' counts, and the ends of the topics
 * `listTopics()` lists (all but the engine's own `__` topics).
 */
export function liveSnapshot(engine: Engine): LiveSnapshot {
  const runs = latestRuns(engine);
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
    operators: runs.flatMap((run) =>
      run.metrics().operators.map((o) => ({
        pipeline: run.plan.pipeline,
        operator: o.operator,
        task: o.task,
        recordsIn: o.recordsIn,
        recordsOut: o.recordsOut,
      })),
    ),
    topics: [...topics.values()],
  };
}

/**
 * WS /api/live: a LiveSnapshot at once, then every second, until the client goes. A browser page of
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
      const send = (): void => {
        if (socket.readyState !== socket.OPEN || socket.bufferedAmount > MAX_BUFFERED_BYTES) return;
        let message: string;
        try {
          message = JSON.stringify(liveSnapshot(engine));
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
