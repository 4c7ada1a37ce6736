import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEngine,
  type Engine,
  type EngineOptions,
  type RivuletServer,
  type ServerOptions,
  startServer,
} from '../../src/index.ts';

export const ADMIN = 'admin-token-for-tests';
export const READER = 'read-token-for-tests';

export interface ServerContext {
  engine: Engine;
  server: RivuletServer;
  dataDir: string;
  /** A request to the server; the body is JSON-encoded unless it is a string. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers of many shapes, checked by the assertions
  ): Promise<{ status: number; headers: Headers; body: any }>;
}

/**
 * Runs `body` with an engine in a fresh temp directory and a server on port 0 (admin token ADMIN),
 * then closes both and removes the directory, whatever happens.
 */
export async function withServer(
  options: ServerOptions,
  body: (ctx: ServerContext) => Promise<void>,
  engineOptions: Partial<EngineOptions> = {},
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-server-'));
  const engine = await createEngine({ dataDir, maintenanceInterval: false, ...engineOptions });
  let server: RivuletServer | undefined;
  try {
    server = await startServer(engine, { token: ADMIN, ...options });
    const s = server;
    await body({
      engine,
      server: s,
      dataDir,
      async call(method, path, o = {}) {
        const headers: Record<string, string> = { ...o.headers };
        if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
        let payload: string | undefined;
        if (o.body !== undefined) {
          payload = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
          headers['content-type'] ??= 'application/json';
        }
        const response = await fetch(`${s.address}${path}`, {
          method,
          headers,
          ...(payload === undefined ? {} : { body: payload }),
          signal: AbortSignal.timeout(40_000),
        });
        const text = await response.text();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON (metrics, 204): the text
        }
        return { status: response.status, headers: response.headers, body: parsed };
      },
    });
  } finally {
    await server?.close();
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Resolves once `condition()` holds; rejects after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
