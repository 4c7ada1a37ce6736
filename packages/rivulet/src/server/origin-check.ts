import type { FastifyRequest } from 'fastify';

/**
 * The WebSocket same-origin rule (cross-site WebSocket hijacking defence): a request without an `Origin`
 * header comes from a non-browser client and is allowed; a browser's `Origin` must be this server's
 * own, `http://<Host header>` (scheme, host and port compared exactly, case-insensitively).
 */
export function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const host = request.headers.host;
  if (host === undefined || host === '') return false;
  return origin.toLowerCase() === `http://${host}`.toLowerCase();
}
