import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The dashboard's Content-Security-Policy: scripts and connections only from the server itself (plus its
 * WebSockets), no plugins, no framing. The built dashboard has no inline script, so nothing breaks.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; " +
  "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'";

/** Headers on every dashboard response (files, index.html and the dashboard's 404s alike). */
export const DASHBOARD_HEADERS: ReadonlyMap<string, string> = new Map([
  ['content-security-policy', DASHBOARD_CSP],
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
]);

/**
 * Serves the built dashboard (`dir`: packages/dashboard/dist) at `/`, index.html for `/`, with the
 * headers above. Registered in its own encapsulated context, so its hook and @fastify/static's reply
 * decorator do not reach the API routes; the API's routes are more specific than the static wildcard
 * and win. Hashed files under assets/ are cached for a year, index.html is revalidated on every load.
 */
export function registerDashboardRoutes(app: FastifyInstance, dir: string): void {
  app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      for (const [name, value] of DASHBOARD_HEADERS) reply.header(name, value);
      return payload;
    });
    await scope.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      index: 'index.html',
      wildcard: true,
      // Cache-Control is set below, per file (the plugin's own would override it).
      cacheControl: false,
      setHeaders: (res, path) => {
        res.setHeader(
          'cache-control',
          path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  });
}

const hasIndex = (dir: string): boolean => existsSync(join(dir, 'index.html'));

/**
 * The directory of the built dashboard, or undefined when there is none with an index.html (not built
 * yet: `npm run build -w @rivulet/dashboard`). Looks for the `@rivulet/dashboard` package as this
 * package resolves it, then for packages/dashboard/dist next to this package in the workspace (from
 * src/server/ as from dist/server/).
 */
export function findDashboardDir(): string | undefined {
  const candidates: string[] = [];
  try {
    const manifest = createRequire(import.meta.url).resolve('@rivulet/dashboard/package.json');
    candidates.push(join(dirname(manifest), 'dist'));
  } catch {
    // not installed as a dependency: try the workspace layout
  }
  candidates.push(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dashboard', 'dist'));
  return candidates.find(hasIndex);
}
