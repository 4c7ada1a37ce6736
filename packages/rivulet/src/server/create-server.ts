import Fastify, { type FastifyInstance } from 'fastify';
import type { Engine } from '../engine.ts';
import { registerStoreRoutes } from './store-routes.ts';

export interface ServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (read it from `address`). */
  port?: number;
}

/** A running HTTP server of an engine: where it listens, and how to stop it. */
export interface RivuletServer {
  readonly app: FastifyInstance;
  /** `http://host:port` */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Starts the engine's HTTP API (state queries for now: store-routes.ts) and resolves once it listens.
 * The server only reads; closing it does not stop the engine's pipelines.
 */
export async function startServer(engine: Engine, options: ServerOptions = {}): Promise<RivuletServer> {
  const app = Fastify({ logger: false });
  registerStoreRoutes(
    app,
    (name) => engine.store(name),
    (name) => engine.windows(name),
  );
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const info = app.server.address();
  const address =
    info !== null && typeof info === 'object' ? `http://${info.address}:${info.port}` : String(info);
  return { app, address, close: () => app.close() };
}
