import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.ts';

/** Why the engine is not ready: the log is closed, a partition failed, or a pipeline failed. */
export function notReadyReasons(engine: Engine): string[] {
  const reasons: string[] = [];
  const log = engine.log;
  if (log.closed) reasons.push('the log is closed');
  else
    for (const topic of log.listTopics({ internal: true }))
      for (const p of log.describeTopic(topic).partitions)
        if (p.failure !== undefined)
          reasons.push(`partition ${topic}/${p.partition} failed: ${p.failure.code}: ${p.failure.message}`);
  for (const run of engine.runs()) {
    const status = run.status();
    if (status.state === 'failed')
      reasons.push(
        `pipeline ${status.pipeline} failed${status.error === undefined ? '' : `: ${status.error.code}: ${status.error.message}`}`,
      );
  }
  return reasons;
}

/**
 * `GET /healthz`: 200 `{ status: 'ok' }` while the process serves. `GET /readyz`: 200
 * `{ status: 'ready' }` when the log is open, no partition and no pipeline failed; else 503
 * `{ status: 'not-ready', reasons }`.
 */
export function registerHealthRoutes(app: FastifyInstance, engine: Engine): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const reasons = notReadyReasons(engine);
    if (reasons.length === 0) return { status: 'ready' };
    return reply.code(503).send({ status: 'not-ready', reasons });
  });
}
