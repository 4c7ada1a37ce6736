import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.ts';
import { EngineError } from '../model/index.ts';
import { recordJson } from './record-json.ts';

/** Longest long-poll wait a request may ask for. */
export const MAX_WAIT_MS = 30_000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
/** Bytes of batches read per fetch (at least one batch). */
const FETCH_BYTES = 1024 * 1024;

/** An integer query parameter in [min, max], `fallback` when absent; INVALID_ARGUMENT otherwise. */
export function integerParam(
  raw: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${name} must be an integer from ${min} to ${max}, got '${raw}'`,
    );
  return n;
}

/**
 * `GET /api/topics/:topic/partitions/:p/records?offset=&limit=&maxWaitMs=`: up to `limit` committed
 * records from `offset` (default: the log start), `{ records, nextOffset, highWatermark }`. With nothing
 * past `offset`, waits up to `maxWaitMs` (0..30000) and answers as soon as a record arrives (empty when
 * none came). The wait ends early when the client goes away or the server closes (`closing`).
 * `highWatermark` is the end of committed data: records a pipeline wrote after its last checkpoint are
 * not served until the next one.
 */
export function registerFetchRoutes(app: FastifyInstance, engine: Engine, closing: AbortSignal): void {
  app.get<{
    Params: { topic: string; p: string };
    Querystring: Record<string, string | undefined>;
  }>('/api/topics/:topic/partitions/:p/records', async (request, reply) => {
    const { topic } = request.params;
    const p = integerParam(request.params.p, 'partition', 0, Number.MAX_SAFE_INTEGER, -1);
    const limit = integerParam(request.query.limit, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT);
    const maxWaitMs = integerParam(request.query.maxWaitMs, 'maxWaitMs', 0, MAX_WAIT_MS, 0);
    if (engine.log.closed) throw new EngineError('LOG_CLOSED', 'the log is closed');
    const partition = engine.log.partition(topic, p);
    const offset = integerParam(
      request.query.offset,
      'offset',
      0,
      Number.MAX_SAFE_INTEGER,
      partition.logStartOffset,
    );
    if (maxWaitMs > 0 && partition.committedOffset <= offset) {
      const controller = new AbortController();
      const abort = (): void => controller.abort();
      closing.addEventListener('abort', abort, { once: true });
      reply.raw.once('close', abort);
      try {
        await partition.waitForData(offset, maxWaitMs, controller.signal, 'committed');
      } finally {
        closing.removeEventListener('abort', abort);
        reply.raw.removeListener('close', abort);
      }
    }
    const result = await partition.fetch(offset, FETCH_BYTES, 'committed');
    const records = result.records.length > limit ? result.records.slice(0, limit) : result.records;
    return {
      records: records.map(recordJson),
      nextOffset:
        records.length < result.records.length ? records[records.length - 1]!.offset + 1 : result.nextOffset,
      highWatermark: result.highWatermark,
    };
  });
}
