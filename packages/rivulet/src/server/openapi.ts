import type { RouteAccess } from './auth.ts';

/**
 * The server's routes, written by hand: method, fastify URL, access class (read or write, which the
 * auth hook enforces), and what the OpenAPI 3.1 document says about them. A route the server registers
 * that is missing here is refused to everyone but the admin token (the auth hook treats unknown routes
 * as write routes), and a test checks both lists match.
 */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's form: `/api/topics/:topic`. */
  url: string;
  access: RouteAccess;
  /** A WebSocket route (GET with Upgrade). */
  websocket?: true;
  summary: string;
  query?: Array<{ name: string; schema: object; description: string }>;
  body?: Record<string, object>;
  responses: Record<string, string>;
  /** Only served when the server has a dashboard directory. */
  dashboard?: true;
}

const errorResponses = (...codes: string[]): Record<string, string> =>
  Object.fromEntries(codes.map((c) => [c, ERROR_TEXT.get(c) ?? 'error']));

const ERROR_TEXT = new Map([
  ['400', 'INVALID_ARGUMENT and other input errors: { code, message }'],
  ['401', 'UNAUTHORIZED: no or unknown bearer token'],
  ['403', 'FORBIDDEN: the read-only token on a write route'],
  ['404', 'UNKNOWN_TOPIC / UNKNOWN_PARTITION / UNKNOWN_STORE / UNKNOWN_PIPELINE / NOT_FOUND'],
  ['409', 'TOPIC_EXISTS'],
  ['413', 'PAYLOAD_TOO_LARGE: Content-Length above the body limit (answered before reading the body)'],
  ['415', 'UNSUPPORTED_MEDIA_TYPE'],
  ['422', 'IDEMPOTENCY_KEY_REUSED: the key was used with another body'],
  ['429', 'RATE_LIMITED, with Retry-After in seconds'],
  ['503', 'LOG_UNAVAILABLE: the log is closed or failed an append'],
]);

const recordSchema = {
  type: 'object',
  properties: {
    key: { type: ['string', 'null'] },
    value: { description: 'any JSON value, stored as its JSON text' },
    valueText: {
      type: ['string', 'null'],
      description: 'the value as text, stored as is; null: a tombstone',
    },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    partition: { type: 'integer', minimum: 0 },
    timestamp: { type: 'integer', description: 'event time in ms since the epoch (default: now)' },
  },
};

export const routeSpecs: readonly RouteSpec[] = [
  {
    method: 'GET',
    url: '/healthz',
    access: 'read',
    summary: 'liveness',
    responses: { 200: '{ status: "ok" }' },
  },
  {
    method: 'GET',
    url: '/readyz',
    access: 'read',
    summary: 'readiness: the log is open and no pipeline failed',
    responses: { 200: '{ status: "ready" }', 503: '{ status: "not-ready", reasons: [string] }' },
  },
  {
    method: 'GET',
    url: '/metrics',
    access: 'read',
    summary: 'Prometheus metrics (text exposition format)',
    responses: { 200: 'text/plain; version=0.0.4' },
  },
  {
    method: 'GET',
    url: '/openapi.json',
    access: 'read',
    summary: 'this document',
    responses: { 200: 'OpenAPI 3.1' },
  },
  {
    method: 'GET',
    url: '/api/topics',
    access: 'read',
    summary: 'list topics',
    responses: { 200: '{ topics: [{ name, partitions, internal }] }', ...errorResponses('503') },
  },
  {
    method: 'POST',
    url: '/api/topics',
    access: 'write',
    summary: 'create a topic',
    body: {
      'application/json': {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string' },
          partitions: { type: 'integer', minimum: 1 },
          retention: {
            type: 'object',
            properties: {
              time: { type: ['string', 'integer'], description: "'7d' or ms" },
              bytes: { type: 'integer' },
            },
          },
          compaction: { type: 'boolean' },
        },
      },
    },
    responses: { 201: '{ name, partitions }', ...errorResponses('400', '409', '413', '503') },
  },
  {
    method: 'GET',
    url: '/api/topics/:topic',
    access: 'read',
    summary: 'describe a topic',
    responses: {
      200: '{ name, partitions: [{ partition, logStartOffset, highWatermark, sizeBytes }], config }',
      ...errorResponses('404', '503'),
    },
  },
  {
    method: 'DELETE',
    url: '/api/topics/:topic',
    access: 'write',
    summary: 'delete a topic and its data',
    responses: { 204: 'deleted', ...errorResponses('400', '404', '503') },
  },
  {
    method: 'POST',
    url: '/api/topics/:topic/records',
    access: 'write',
    summary: 'produce records; answered after the durable append',
    body: {
      'application/json': {
        type: 'object',
        required: ['records'],
        properties: { records: { type: 'array', items: recordSchema } },
      },
      'application/x-ndjson': { description: 'one record object per line', ...recordSchema },
    },
    responses: {
      200: '{ offsets: [{ partition, offset }] } in request order',
      ...errorResponses('400', '404', '413', '415', '422', '503'),
    },
  },
  {
    method: 'GET',
    url: '/api/topics/:topic/partitions/:p/records',
    access: 'read',
    summary: 'fetch records from an offset, long-polling up to maxWaitMs for data past it',
    query: [
      { name: 'offset', schema: { type: 'integer', minimum: 0 }, description: 'default: the log start' },
      { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 10000 }, description: 'default 100' },
      {
        name: 'maxWaitMs',
        schema: { type: 'integer', minimum: 0, maximum: 30000 },
        description: 'default 0',
      },
    ],
    responses: {
      200: '{ records: [{ offset, timestamp, key, value, json?, headers }], nextOffset, highWatermark }',
      ...errorResponses('400', '404', '503'),
    },
  },
  {
    method: 'GET',
    url: '/api/topics/:topic/tail',
    access: 'read',
    websocket: true,
    summary: 'WebSocket: { type: "record", partition, offset, timestamp, key, value, headers } messages',
    query: [{ name: 'from', schema: { enum: ['latest', 'earliest'] }, description: 'default latest' }],
    responses: { 101: 'switching protocols', ...errorResponses('403', '404') },
  },
  {
    method: 'GET',
    url: '/api/pipelines',
    access: 'read',
    summary: 'the runs of this engine and their status',
    responses: { 200: '{ pipelines: [status] }' },
  },
  {
    method: 'GET',
    url: '/api/pipelines/:name',
    access: 'read',
    summary: 'one pipeline: its status, explain text and graph',
    responses: {
      200: 'status + { explain, graph: { nodes, edges, subTopologies } }',
      ...errorResponses('404'),
    },
  },
  {
    method: 'POST',
    url: '/api/pipelines/:name/stop',
    access: 'write',
    summary: 'stop a pipeline gracefully (final checkpoint)',
    responses: { 200: '{ state }', ...errorResponses('404') },
  },
  {
    method: 'POST',
    url: '/api/pipelines/:name/start',
    access: 'write',
    summary:
      'start a stopped or failed pipeline again, with the plan and options it last ran with (it resumes from its last checkpoint)',
    responses: { 200: '{ state }', ...errorResponses('404', '409') },
  },
  {
    method: 'GET',
    url: '/api/dlq',
    access: 'read',
    summary: "the dead-letter topics of the runs' error policies",
    responses: { 200: '{ topics: [{ topic, pipeline, records }] }' },
  },
  {
    method: 'GET',
    url: '/api/late',
    access: 'read',
    summary: "sink topics fed by a window's late output",
    responses: { 200: '{ topics: [{ topic, pipeline, operator, records }] }' },
  },
  {
    method: 'GET',
    url: '/api/alerts',
    access: 'read',
    summary: 'sink topics fed by a crosses or silence operator',
    responses: { 200: '{ topics: [{ topic, pipeline, operator }] }' },
  },
  {
    method: 'GET',
    url: '/api/live',
    access: 'read',
    websocket: true,
    summary: 'WebSocket: a { type: "snapshot" } of pipelines, operators and topics every second',
    responses: { 101: 'switching protocols', ...errorResponses('403') },
  },
  {
    method: 'GET',
    url: '/stores/:name/:key',
    access: 'read',
    summary: "a key's value in a store, as of the last checkpoint",
    responses: { 200: '{ key, value }', ...errorResponses('404') },
  },
  {
    method: 'GET',
    url: '/stores/:name',
    access: 'read',
    summary: 'range or prefix scan of a store',
    query: [
      { name: 'from', schema: { type: 'string' }, description: 'inclusive' },
      { name: 'to', schema: { type: 'string' }, description: 'exclusive' },
      { name: 'prefix', schema: { type: 'string' }, description: 'instead of from/to' },
      { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 10000 }, description: 'default 100' },
    ],
    responses: { 200: '{ entries: [{ key, value }], limit }', ...errorResponses('400', '404') },
  },
  {
    method: 'GET',
    url: '/windows/:name/:key',
    access: 'read',
    summary: "a key's open windows of a windowed aggregation",
    query: [
      { name: 'from', schema: { type: 'integer' }, description: 'window start, ms' },
      { name: 'to', schema: { type: 'integer' }, description: 'window start, ms' },
    ],
    responses: {
      200: '{ key, windows: [{ window: { start, end }, value }] }',
      ...errorResponses('400', '404'),
    },
  },
  {
    method: 'GET',
    url: '/*',
    access: 'public',
    dashboard: true,
    summary: "the dashboard: index.html at `/`, and its assets (fastify's wildcard route serves both)",
    responses: { 200: 'the file', 404: 'no such file' },
  },
];

const specKey = (method: string, url: string): string => `${method === 'HEAD' ? 'GET' : method} ${url}`;
const byKey = new Map(routeSpecs.map((r) => [specKey(r.method, r.url), r]));

/** The spec of a registered route (HEAD counts as its GET), undefined when it has none. */
export function routeSpec(method: string, url: string): RouteSpec | undefined {
  return byKey.get(specKey(method, url));
}

/** The routes a server serves: all but the dashboard's unless it has a dashboard. */
export function servedRoutes(options: { dashboard: boolean }): RouteSpec[] {
  return routeSpecs.filter((r) => options.dashboard || r.dashboard !== true);
}

/** `/a/:b/*` -> `/a/{b}/{path}` */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
}

function operation(route: RouteSpec): Record<string, unknown> {
  const params = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: m[1] === 'p' ? 'integer' : 'string' },
  }));
  if (route.url.endsWith('*'))
    params.push({ name: 'path', in: 'path', required: true, schema: { type: 'string' } });
  const query = (route.query ?? []).map((q) => ({
    name: q.name,
    in: 'query',
    required: false,
    schema: q.schema,
    description: q.description,
  }));
  return {
    summary: route.summary,
    ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: Object.fromEntries(
              Object.entries(route.body).map(([type, schema]) => [type, { schema }]),
            ),
          },
        }),
    responses: Object.fromEntries(
      Object.entries({
        ...route.responses,
        ...(route.access === 'write'
          ? errorResponses('401', '403', '429')
          : route.access === 'read'
            ? errorResponses('401', '429')
            : errorResponses('429')),
      }).map(([status, description]) => [status, { description }]),
    ),
    security:
      route.access === 'write' ? [{ bearer: [] }] : route.access === 'read' ? [{ bearer: [] }, {}] : [],
    'x-rivulet-access': route.access,
    ...(route.websocket === true ? { 'x-websocket': true } : {}),
    'x-fastify-url': route.url,
  };
}

/**
 * The OpenAPI 3.1 document of the server's routes. Read routes list both "bearer" and no security:
 * they are open unless the server has a read token; public routes (the dashboard's files) list none.
 * WebSocket routes also take the token as the subprotocol `rivulet.bearer.<token>` (docs/server.md).
 * `x-rivulet-access` is the route's class,
 * `x-websocket` marks WebSocket routes, `x-fastify-url` the route as the server registers it.
 */
export function openApiDocument(options: { dashboard: boolean; version: string }): Record<string, unknown> {
  const paths = new Map<string, Record<string, unknown>>();
  for (const route of servedRoutes(options)) {
    const path = openApiPath(route.url);
    const item = paths.get(path) ?? {};
    item[route.method.toLowerCase()] = operation(route);
    paths.set(path, item);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rivulet server',
      version: options.version,
      description:
        'The HTTP API of `rivulet serve` (docs/server.md). Errors are JSON { code, message } with a stable code.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: Object.fromEntries(paths),
  };
}
