import type { FastifyInstance, FastifyReply } from 'fastify';
import { type EngineError, isEngineError } from '../model/index.ts';
import type { QueryableStore, WindowQuery } from '../runtime/index.ts';

/** Finds a queryable store by name; throws UNKNOWN_STORE (an EngineError) when there is none. */
export type StoreLookup = (name: string) => QueryableStore;
/** Finds a windowed aggregation by its store name; throws UNKNOWN_STORE or UNSUPPORTED_OPERATOR. */
export type WindowLookup = (name: string) => WindowQuery;

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

function statusOf(error: EngineError): number {
  if (error.code === 'UNKNOWN_STORE') return 404;
  return error.domain === 'user' ? 400 : 500;
}

function fail(reply: FastifyReply, error: unknown): FastifyReply {
  if (isEngineError(error))
    return reply.code(statusOf(error)).send({ code: error.code, message: error.message });
  return reply
    .code(500)
    .send({ code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) });
}

/**
 * A key from a URL: as is for stores with text keys; for JSON keys, parsed as JSON when it parses
 * (`42`, `["a",1]`, `"42"` for the string) and otherwise taken as a string (`apple`).
 */
function keyFromUrl(store: QueryableStore, raw: string): unknown {
  if (store.keyKind !== 'json') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * State query routes (read-only, committed state as of each pipeline's last checkpoint):
 * - `GET /stores/:name/:key` -> 200 `{ key, value }`, or 404 `{ code: 'NOT_FOUND' }` for a key without a
 *   value, 404 `{ code: 'UNKNOWN_STORE' }` for a store no running pipeline has;
 * - `GET /stores/:name?from=&to=&prefix=&limit=` -> 200 `{ entries: [{ key, value }], limit }` in key
 *   order, `from` inclusive, `to` exclusive, or the keys starting with `prefix`; `limit` 1..10000
 *   (default 100); 400 `{ code: 'INVALID_ARGUMENT' }` for a bad limit or `prefix` with `from`/`to`.
 * - `GET /windows/:name/:key?from=&to=` -> 200 `{ key, windows: [{ window: { start, end }, value }] }`: the
 *   key's open windows of the windowed aggregation whose store is `name` (start in [from, to]); the key
 *   is parsed as JSON when it parses, else taken as a string.
 * Errors carry the engine's stable code and message.
 */
export function registerStoreRoutes(app: FastifyInstance, lookup: StoreLookup, windows?: WindowLookup): void {
  if (windows !== undefined)
    app.get<{ Params: { name: string; key: string }; Querystring: Record<string, string | undefined> }>(
      '/windows/:name/:key',
      async (request, reply) => {
        try {
          const query = windows(request.params.name);
          const bound = (raw: string | undefined): number | undefined =>
            raw === undefined ? undefined : Number(raw);
          const from = bound(request.query.from);
          const to = bound(request.query.to);
          if ((from !== undefined && !Number.isFinite(from)) || (to !== undefined && !Number.isFinite(to)))
            return reply
              .code(400)
              .send({ code: 'INVALID_ARGUMENT', message: 'from and to are event times in ms' });
          let key: unknown = request.params.key;
          try {
            key = JSON.parse(request.params.key);
          } catch {
            // not JSON: the key is the string itself
          }
          return {
            key,
            windows: await query.fetch(key, {
              ...(from === undefined ? {} : { from }),
              ...(to === undefined ? {} : { to }),
            }),
          };
        } catch (error) {
          return fail(reply, error);
        }
      },
    );

  app.get<{ Params: { name: string; key: string } }>('/stores/:name/:key', async (request, reply) => {
    try {
      const store = lookup(request.params.name);
      const key = keyFromUrl(store, request.params.key);
      const value = await store.get(key);
      if (value === undefined)
        return reply
          .code(404)
          .send({ code: 'NOT_FOUND', message: `no value for key ${JSON.stringify(key)}` });
      return { key, value };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get<{ Params: { name: string }; Querystring: Record<string, string | undefined> }>(
    '/stores/:name',
    async (request, reply) => {
      try {
        const store = lookup(request.params.name);
        const { from, to, prefix } = request.query;
        const limit = request.query.limit === undefined ? DEFAULT_LIMIT : Number(request.query.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
          return reply.code(400).send({
            code: 'INVALID_ARGUMENT',
            message: `limit must be an integer from 1 to ${MAX_LIMIT}, got ${request.query.limit}`,
          });
        if (prefix !== undefined && (from !== undefined || to !== undefined))
          return reply
            .code(400)
            .send({ code: 'INVALID_ARGUMENT', message: 'give either prefix or from/to, not both' });
        const entries =
          prefix !== undefined
            ? await store.prefixScan(keyFromUrl(store, prefix), { limit })
            : await store.range(
                from === undefined ? undefined : keyFromUrl(store, from),
                to === undefined ? undefined : keyFromUrl(store, to),
                { limit },
              );
        return { entries, limit };
      } catch (error) {
        return fail(reply, error);
      }
    },
  );
}
