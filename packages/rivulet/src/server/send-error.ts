import type { FastifyReply } from 'fastify';
import { type ErrorCode, isEngineError } from '../model/index.ts';

/** Log failures a client can do nothing about but wait: answered 503 LOG_UNAVAILABLE. */
const UNAVAILABLE: ReadonlySet<string> = new Set([
  'LOG_CLOSED',
  'LOG_DISK_FULL',
  'LOG_IO_ERROR',
  'LOG_FSYNC_FAILED',
  'PARTITION_FAILED',
  'LOG_UNAVAILABLE',
]);

const STATUS: ReadonlyMap<string, number> = new Map([
  ['UNAUTHORIZED', 401],
  ['FORBIDDEN', 403],
  ['NOT_FOUND', 404],
  ['UNKNOWN_TOPIC', 404],
  ['UNKNOWN_PARTITION', 404],
  ['UNKNOWN_STORE', 404],
  ['UNKNOWN_PIPELINE', 404],
  ['TOPIC_EXISTS', 409],
  ['PIPELINE_RUNNING', 409],
  ['PAYLOAD_TOO_LARGE', 413],
  ['UNSUPPORTED_MEDIA_TYPE', 415],
  ['IDEMPOTENCY_KEY_REUSED', 422],
  ['RATE_LIMITED', 429],
]);

/** The HTTP answer to an error: its status and `{ code, message }` body. */
export function errorAnswer(error: unknown): { status: number; code: string; message: string } {
  if (isEngineError(error)) {
    if (UNAVAILABLE.has(error.code))
      return { status: 503, code: 'LOG_UNAVAILABLE', message: `${error.code}: ${error.message}` };
    const status = STATUS.get(error.code) ?? (error.domain === 'user' ? 400 : 500);
    return { status, code: error.code, message: error.message };
  }
  return { status: 500, code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** Answers `error` as JSON `{ code, message }` with the status its code maps to (see errorAnswer). */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const answer = errorAnswer(error);
  return reply.code(answer.status).send({ code: answer.code, message: answer.message });
}

/** Answers a refusal the server itself decides (not an EngineError). */
export function refuse(reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  return reply.code(status).send({ code, message });
}
