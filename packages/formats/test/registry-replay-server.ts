import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** One recorded exchange: the request it answers and the registry's recorded answer. */
export interface Exchange {
  request: { method: string; path: string; body?: unknown };
  response: { status: number; body: unknown };
}

/** What the replay server received, for the tests to check. */
export interface ReceivedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  accept: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

export function loadFixture(name: string): Exchange[] {
  const file = join(import.meta.dirname, 'fixtures', 'registry', `${name}.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { exchanges: Exchange[] }).exchanges;
}

/** A request body compared by meaning: the `schema` string is compared as parsed JSON. */
function normalized(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || typeof (body as { schema?: unknown }).schema !== 'string')
    return body;
  const schema = (body as { schema: string }).schema;
  try {
    return { ...body, schema: canonicalAvro(JSON.parse(schema)) };
  } catch {
    return body;
  }
}

/**
 * Avro's "parsing canonical form" for records as far as these fixtures need: the full name in `name`
 * (namespace folded in), keys in a fixed order.
 */
function canonicalAvro(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(canonicalAvro);
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const name =
    typeof s.name === 'string' && typeof s.namespace === 'string' && !s.name.includes('.')
      ? `${s.namespace}.${s.name}`
      : s.name;
  for (const key of ['name', 'type', 'fields', 'symbols', 'items', 'values', 'size', 'default'])
    if (key in s) out[key] = key === 'name' ? name : key === 'default' ? s[key] : canonicalAvro(s[key]);
  return out;
}

/**
 * A real HTTP server on 127.0.0.1 that answers the recorded exchanges (method, path and body must
 * match), records every request it gets, and answers anything else 404 with error_code 40499 so an
 * unexpected request shows up in the test.
 */
export async function startReplayServer(exchanges: Exchange[]): Promise<{
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        accept: req.headers.accept,
        authorization: req.headers.authorization,
        body,
      };
      received.push(request);
      const match = exchanges.find(
        (e) =>
          e.request.method === request.method &&
          e.request.path === request.path &&
          JSON.stringify(normalized(e.request.body)) === JSON.stringify(normalized(body)),
      );
      const status = match?.response.status ?? 404;
      const answer = match?.response.body ?? {
        error_code: 40499,
        message: `no recorded answer for ${request.method} ${request.path}`,
      };
      res.writeHead(status, { 'Content-Type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
