import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Engine } from '../engine.ts';
import type { Partition } from '../log/index.ts';
import { EngineError, isEngineError } from '../model/index.ts';
import { recordJson } from './record-json.ts';
import { sendError } from './send-error.ts';

const FETCH_BYTES = 256 * 1024;
/** How long one wait for data lasts before the loop looks again (a closed log ends it sooner). */
const WAIT_MS = 5_000;

/** Sends `text`; resolves once the socket took it (backpressure: the next batch waits for this one). */
function send(socket: WebSocket, text: string): Promise<void> {
  return new Promise((resolve, reject) => socket.send(text, (error) => (error ? reject(error) : resolve())));
}

/**
 * Pushes one partition's committed records from `position` on to the socket, one message per record,
 * until `signal` aborts. Retention moving the log start past the position skips ahead to it.
 */
async function tailPartition(
  engine: Engine,
  socket: WebSocket,
  partition: Partition,
  index: number,
  position: number,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    if (engine.log.closed) throw new EngineError('LOG_CLOSED', 'the log is closed');
    if (partition.committedOffset <= position) {
      await partition.waitForData(position, WAIT_MS, signal, 'committed');
      continue;
    }
    let result: Awaited<ReturnType<Partition['fetch']>>;
    try {
      result = await partition.fetch(position, FETCH_BYTES, 'committed');
    } catch (error) {
      if (isEngineError(error, 'OFFSET_OUT_OF_RANGE') && position < partition.logStartOffset) {
        position = partition.logStartOffset;
        continue;
      }
      throw error;
    }
    let last: Promise<void> | undefined;
    for (const record of result.records) {
      if (signal.aborted) return;
      last = send(socket, JSON.stringify({ type: 'record', partition: index, ...recordJson(record) }));
      last.catch(() => undefined);
    }
    if (last !== undefined) await last;
    position = result.nextOffset;
  }
}

/**
 * `WS /api/topics/:topic/tail?from=latest|earliest`: pushes `{ type: 'record', partition, offset,
 * timestamp, key, value, json?, headers }` for every committed record of every partition, from the
 * current end (`latest`, default: records produced after the connection) or the log start
 * (`earliest`). Order is kept per partition, not across partitions. An unknown topic is refused
 * before the upgrade (404); the Origin check is the server's (create-server.ts). The socket is closed
 * with 1011 when the log fails or closes, and when the server closes.
 */
export function registerTailRoutes(app: FastifyInstance, engine: Engine, closing: AbortSignal): void {
  app.get<{ Params: { topic: string }; Querystring: { from?: string } }>(
    '/api/topics/:topic/tail',
    {
      websocket: true,
      preValidation: async (request, reply) => {
        const from = request.query.from ?? 'latest';
        try {
          if (from !== 'latest' && from !== 'earliest')
            throw new EngineError('INVALID_ARGUMENT', `from must be 'latest' or 'earliest', got '${from}'`);
          if (engine.log.closed) throw new EngineError('LOG_CLOSED', 'the log is closed');
          engine.log.topicConfig(request.params.topic);
        } catch (error) {
          return sendError(reply, error);
        }
      },
    },
    (socket, request) => {
      const controller = new AbortController();
      const abort = (): void => controller.abort();
      closing.addEventListener('abort', abort, { once: true });
      socket.once('close', () => {
        abort();
        closing.removeEventListener('abort', abort);
      });
      const earliest = request.query.from === 'earliest';
      const topic = request.params.topic;
      let partitions: Partition[];
      try {
        const count = engine.log.topicConfig(topic).partitions;
        partitions = Array.from({ length: count }, (_, p) => engine.log.partition(topic, p));
      } catch (error) {
        socket.close(1011, (error as Error).message.slice(0, 120));
        return;
      }
      const starts = partitions.map((p) => (earliest ? p.logStartOffset : p.committedOffset));
      Promise.all(
        partitions.map((p, i) => tailPartition(engine, socket, p, i, starts[i]!, controller.signal)),
      ).catch((error: unknown) => {
        if (controller.signal.aborted) return;
        controller.abort();
        socket.close(1011, (error instanceof Error ? error.message : String(error)).slice(0, 120));
      });
    },
  );
}
