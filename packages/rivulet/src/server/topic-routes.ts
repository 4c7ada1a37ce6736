import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.ts';
import type { TopicOptions } from '../log/index.ts';
import { type Duration, EngineError } from '../model/index.ts';
import { buildTopology } from '../plan/index.ts';

/** Topics the engine owns: `__`-prefixed ones and the repartition and changelog topics of its runs. */
function internalTopics(engine: Engine): Set<string> {
  const internal = new Set<string>();
  for (const run of engine.runs())
    for (const t of buildTopology(run.plan).internalTopics) internal.add(t.topic);
  return internal;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(message: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', message);
}

/** The body of `POST /api/topics` as TopicOptions; INVALID_ARGUMENT for anything malformed. */
export function topicCreation(body: unknown): { name: string; options: TopicOptions } {
  if (!isObject(body))
    throw invalid('the body must be a JSON object { name, partitions?, retention?, compaction? }');
  const { name, partitions, retention, compaction } = body;
  if (typeof name !== 'string') throw invalid('name must be a string');
  const options: TopicOptions = {};
  if (partitions !== undefined) {
    if (typeof partitions !== 'number') throw invalid('partitions must be an integer');
    options.partitions = partitions;
  }
  if (retention !== undefined) {
    if (!isObject(retention)) throw invalid('retention must be an object { time?, bytes? }');
    const r: { time?: Duration; bytes?: number } = {};
    if (retention.time !== undefined) {
      if (typeof retention.time !== 'string' && typeof retention.time !== 'number')
        throw invalid("retention.time must be a duration ('7d') or ms");
      r.time = retention.time;
    }
    if (retention.bytes !== undefined) {
      if (typeof retention.bytes !== 'number') throw invalid('retention.bytes must be an integer');
      r.bytes = retention.bytes;
    }
    options.retention = r;
  }
  if (compaction !== undefined) {
    if (typeof compaction !== 'boolean') throw invalid('compaction must be a boolean');
    options.cleanup = compaction ? 'compact' : 'delete';
  }
  return { name, options };
}

/**
 * Topic administration: `GET /api/topics` (all topics, internal ones flagged), `POST /api/topics`
 * (201 `{ name, partitions }`; 409 TOPIC_EXISTS), `GET /api/topics/:topic` (partitions with offsets and
 * sizes, and the resolved config), `DELETE /api/topics/:topic` (204). Errors are thrown as EngineErrors
 * and answered by the server's error handler (a closed log: 503 LOG_UNAVAILABLE).
 */
export function registerTopicRoutes(app: FastifyInstance, engine: Engine): void {
  app.get('/api/topics', async () => {
    const internal = internalTopics(engine);
    const log = engine.log;
    return {
      topics: log.listTopics({ internal: true }).map((name) => ({
        name,
        partitions: log.topicConfig(name).partitions,
        internal: name.startsWith('__') || internal.has(name),
      })),
    };
  });

  app.post('/api/topics', async (request, reply) => {
    const { name, options } = topicCreation(request.body);
    const config = await engine.log.createTopic(name, options);
    return reply.code(201).send({ name: config.name, partitions: config.partitions });
  });

  app.get<{ Params: { topic: string } }>('/api/topics/:topic', async (request) => {
    const description = engine.log.describeTopic(request.params.topic);
    return {
      name: description.config.name,
      partitions: description.partitions.map((p) => ({
        partition: p.partition,
        logStartOffset: p.logStartOffset,
        highWatermark: p.highWatermark,
        sizeBytes: p.sizeBytes,
        ...(p.failure === undefined ? {} : { failure: p.failure }),
      })),
      config: description.config,
    };
  });

  app.delete<{ Params: { topic: string } }>('/api/topics/:topic', async (request, reply) => {
    await engine.log.deleteTopic(request.params.topic);
    return reply.code(204).send();
  });
}
