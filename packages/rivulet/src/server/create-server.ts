import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Engine } from '../engine.ts';
import { isEngineError } from '../model/index.ts';
import { packageVersion } from '../package-version.ts';
import { Authenticator, chooseSubprotocol, subprotocolAuthorization } from './auth.ts';
import { registerDashboardRoutes } from './dashboard-routes.ts';
import { MAX_WAIT_MS, registerFetchRoutes } from './fetch-routes.ts';
import { registerHealthRoutes } from './health-routes.ts';
import { HostCheck } from './host-check.ts';
import { registerLiveRoutes } from './live-routes.ts';
import { registerMetricsRoutes } from './metrics-routes.ts';
import { openApiDocument, routeSpec } from './openapi.ts';
import { isSameOrigin } from './origin-check.ts';
import { registerPipelineRoutes } from './pipeline-routes.ts';
import { registerProduceRoutes } from './produce-routes.ts';
import { RateLimiter } from './rate-limiter.ts';
import { refuse, sendError } from './send-error.ts';
import { registerStoreRoutes } from './store-routes.ts';
import { registerTailRoutes } from './tail-routes.ts';
import { registerTopicRoutes } from './topic-routes.ts';

export interface ServerLimits {
  /** Largest request body (default 1 MiB): larger ones get 413 PAYLOAD_TOO_LARGE. */
  bodyBytes?: number;
  /** Requests per second per client IP (default 200), with bursts of twice that; then 429. */
  requestsPerSecond?: number;
  /**
   * Time a client has to send a whole request, and its headers (default 10 s); also how long an idle
   * keep-alive connection is kept. A connection without any traffic is closed after this plus the
   * longest long-poll wait (30 s).
   */
  requestTimeoutMs?: number;
}

export interface ServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (read it from `address`). */
  port?: number;
  /** The admin token (`Authorization: Bearer <token>`); write routes refuse every request without it. */
  token?: string;
  /** A read-only token; when set, read routes need it or the admin token, else they are open. */
  readToken?: string;
  /** Directory of the built dashboard, served at `/`. */
  dashboardDir?: string;
  /**
   * Host names the server answers besides its defaults (host-check.ts: on a loopback address, only
   * loopback names): other `Host` headers get 403, against DNS rebinding.
   */
  allowedHosts?: string[];
  limits?: ServerLimits;
}

/** A running HTTP server of an engine: where it listens, and how to stop it. */
export interface RivuletServer {
  readonly app: FastifyInstance;
  /** `http://host:port` */
  readonly address: string;
  /** Every route registered (method and fastify URL; HEAD routes left out). */
  readonly routes: ReadonlyArray<{ method: string; url: string }>;
  close(): Promise<void>;
}

/** The status and code of an error fastify raises itself (body parsing, media type, validation). */
function fastifyErrorAnswer(error: FastifyError): { status: number; code: string } {
  const status = error.statusCode ?? 500;
  if (status === 413) return { status, code: 'PAYLOAD_TOO_LARGE' };
  if (status === 415) return { status, code: 'UNSUPPORTED_MEDIA_TYPE' };
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return { status: 400, code: 'INVALID_JSON' };
  if (error instanceof SyntaxError) return { status: 400, code: 'INVALID_JSON' };
  if (status >= 400 && status < 500) return { status, code: 'INVALID_ARGUMENT' };
  return { status: 500, code: 'INTERNAL' };
}

/**
 * Starts the engine's HTTP API (docs/server.md; every route is listed in openapi.ts) and resolves once
 * it listens. Before any route runs, each request passes, in order: the rate limit per client IP (429
 * RATE_LIMITED with Retry-After), the Host header check (403, host-check.ts), the route's access class (401/403, see auth.ts), the Origin check of
 * WebSocket upgrades (403), and the body limit read from Content-Length (413 before a byte of the body
 * is read; chunked bodies are cut at the limit while streaming). Closing the server ends long-polls and
 * WebSocket tails, then stops listening; it does not stop the engine's pipelines.
 */
export async function startServer(engine: Engine, options: ServerOptions = {}): Promise<RivuletServer> {
  const bodyBytes = options.limits?.bodyBytes ?? 1024 * 1024;
  const rate = options.limits?.requestsPerSecond ?? 200;
  const requestTimeoutMs = options.limits?.requestTimeoutMs ?? 10_000;
  const app = Fastify({
    logger: false,
    bodyLimit: bodyBytes,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: requestTimeoutMs,
    connectionTimeout: requestTimeoutMs + MAX_WAIT_MS,
    http: {
      headersTimeout: requestTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // How often Node looks for requests past their timeouts (its default, 30 s, would let a slow
      // client hold a connection that long whatever the timeouts say).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeoutMs / 4))),
    },
  });
  const closing = new AbortController();
  const auth = new Authenticator({ token: options.token, readToken: options.readToken });
  const limiter = new RateLimiter(rate, rate * 2);
  const hosts = new HostCheck(options.host ?? '127.0.0.1', options.allowedHosts);
  const routes: Array<{ method: string; url: string }> = [];

  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method])
      if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  app.addHook('preClose', (done) => {
    closing.abort();
    done();
  });
  // A browser offers `rivulet.bearer` and `rivulet.bearer.<token>`; the handshake answers the first.
  await app.register(fastifyWebsocket, {
    options: { maxPayload: 64 * 1024, handleProtocols: chooseSubprotocol },
  });

  app.addHook('onRequest', async (request, reply) => {
    const wait = limiter.take(request.ip);
    if (wait > 0)
      return refuse(
        reply.header('retry-after', String(wait)),
        429,
        'RATE_LIMITED',
        `too many requests: retry in ${wait} s`,
      );
    if (!hosts.allows(request.headers.host))
      return refuse(
        reply.header('connection', 'close'),
        403,
        'FORBIDDEN',
        `Host '${request.headers.host ?? ''}' is not a name of this server (DNS rebinding defence; see allowedHosts)`,
      );
    // Unmatched URLs are read routes (answered 404); a route missing from openapi.ts is a write route.
    const url = request.routeOptions.url;
    const access = url === undefined ? 'read' : (routeSpec(request.method, url)?.access ?? 'write');
    // A WebSocket may carry its token as a subprotocol (browsers cannot set headers on one); a token in
    // the query string is never read (URLs end up in logs).
    const authorization =
      request.headers.authorization ??
      (request.ws ? subprotocolAuthorization(request.headers['sec-websocket-protocol']) : undefined);
    const refusal = auth.check(authorization, access);
    if (refusal !== undefined) {
      if (refusal.status === 401) reply.header('www-authenticate', 'Bearer');
      if (hasBody(request.headers)) reply.header('connection', 'close');
      return refuse(reply, refusal.status, refusal.code, refusal.message);
    }
    if (request.ws && !isSameOrigin(request))
      return refuse(reply, 403, 'FORBIDDEN', `WebSocket from origin ${request.headers.origin} refused`);
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > bodyBytes)
      // Connection: close, so the body nobody will read is not drained from a kept-alive socket.
      return refuse(
        reply.header('connection', 'close'),
        413,
        'PAYLOAD_TOO_LARGE',
        `the body (${length} bytes) is larger than the limit of ${bodyBytes} bytes`,
      );
  });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (isEngineError(error)) return sendError(reply, error);
    const answer = fastifyErrorAnswer(error);
    return refuse(reply, answer.status, answer.code as 'INTERNAL', error.message);
  });
  app.setNotFoundHandler((request, reply) =>
    refuse(reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  );
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  const dashboard = options.dashboardDir !== undefined;
  const document = openApiDocument({ dashboard, version: packageVersion() });
  registerHealthRoutes(app, engine);
  app.get('/openapi.json', async () => document);
  registerTopicRoutes(app, engine);
  registerProduceRoutes(app, engine);
  registerFetchRoutes(app, engine, closing.signal);
  registerTailRoutes(app, engine, closing.signal);
  registerPipelineRoutes(app, engine);
  registerStoreRoutes(
    app,
    (name) => engine.store(name),
    (name) => engine.windows(name),
  );
  registerMetricsRoutes(app, engine);
  registerLiveRoutes(app, engine);
  if (options.dashboardDir !== undefined) registerDashboardRoutes(app, options.dashboardDir);

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const info = app.server.address();
  const address =
    info !== null && typeof info === 'object'
      ? `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`
      : String(info);
  return { app, address, routes, close: () => app.close() };
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}
