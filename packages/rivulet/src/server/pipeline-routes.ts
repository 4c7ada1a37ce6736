import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.ts';
import { EngineError } from '../model/index.ts';
import { explainPlan } from '../plan/index.ts';
import { deadLetterTopics, type PipelineRunner } from '../runtime/index.ts';
import { alertTopics, lateTopics, pipelineGraph } from './pipeline-graph.ts';
import { pipelineStatusJson } from './pipeline-status-json.ts';

/** The latest run of the pipeline `name`; UNKNOWN_PIPELINE when this engine ran none. */
function runNamed(engine: Engine, name: string): PipelineRunner {
  const run = engine
    .runs()
    .filter((r) => r.plan.pipeline === name)
    .at(-1);
  if (run === undefined)
    throw new EngineError('UNKNOWN_PIPELINE', `no pipeline named '${name}' runs here`, {
      details: { pipeline: name },
    });
  return run;
}

/** Records a topic holds (high watermark minus log start, over its partitions); 0 when it is missing. */
function topicRecords(engine: Engine, topic: string): number {
  const log = engine.log;
  if (log.closed || !log.hasTopic(topic)) return 0;
  return log
    .describeTopic(topic)
    .partitions.reduce((sum, p) => sum + Math.max(0, p.highWatermark - p.logStartOffset), 0);
}

/** One entry per (pipeline, topic, operator), over the runs in start order. */
function distinct<T extends { topic: string; pipeline: string }>(entries: T[], key: (e: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const e of entries) seen.set(key(e), e);
  return [...seen.values()];
}

/**
 * Pipelines of the engine (every run, running or not, in start order):
 * - `GET /api/pipelines` -> `{ pipelines: [status] }`;
 * - `GET /api/pipelines/:name` -> the latest run's status plus `explain` and `graph`;
 * - `POST /api/pipelines/:name/stop` -> stops it gracefully (final checkpoint), `{ state }`;
 * - `POST /api/pipelines/:name/start` -> runs a stopped or failed pipeline again with the plan and options
 *   it last ran with, from its last checkpoint, `{ state }`; 409 PIPELINE_RUNNING while it runs;
 * - `GET /api/dlq` -> `{ topics: [{ topic, pipeline, records }] }`: the dead-letter topics its error
 *   policies name (`{ deadLetter: topic }`);
 * - `GET /api/late` -> `{ topics: [{ topic, pipeline, operator, records }] }`: sinks fed by a `late` output;
 * - `GET /api/alerts` -> `{ topics: [{ topic, pipeline, operator }] }`: sinks fed by crosses/silence.
 * A pipeline run twice (stopped, then started again) is listed once per run by `/api/pipelines` and once
 * by the others.
 */
export function registerPipelineRoutes(app: FastifyInstance, engine: Engine): void {
  app.get('/api/pipelines', async () => ({ pipelines: engine.runs().map(pipelineStatusJson) }));

  app.get<{ Params: { name: string } }>('/api/pipelines/:name', async (request) => {
    const run = runNamed(engine, request.params.name);
    return { ...pipelineStatusJson(run), explain: explainPlan(run.plan), graph: pipelineGraph(run.plan) };
  });

  app.post<{ Params: { name: string } }>('/api/pipelines/:name/stop', async (request) => {
    const run = runNamed(engine, request.params.name);
    await run.stop();
    return { state: run.status().state };
  });

  app.post<{ Params: { name: string } }>('/api/pipelines/:name/start', async (request) => {
    const run = runNamed(engine, request.params.name);
    if (run.status().state === 'running')
      throw new EngineError('PIPELINE_RUNNING', `pipeline '${request.params.name}' is running already`, {
        details: { pipeline: request.params.name },
      });
    // The same plan and options: it recovers from its last checkpoint, as a restart of the process would.
    const next = await engine.run(run.plan, engine.runOptions(run) ?? {});
    return { state: next.status().state };
  });

  app.get('/api/dlq', async () => ({
    topics: distinct(
      engine.runs().flatMap((run) =>
        deadLetterTopics(engine.runOptions(run)?.errors ?? {}).map((topic) => ({
          topic,
          pipeline: run.plan.pipeline,
        })),
      ),
      (e) => `${e.pipeline}\n${e.topic}`,
    ).map((e) => ({ ...e, records: topicRecords(engine, e.topic) })),
  }));

  app.get('/api/late', async () => ({
    topics: distinct(
      engine
        .runs()
        .flatMap((run) => lateTopics(run.plan).map((t) => ({ ...t, pipeline: run.plan.pipeline }))),
      (e) => `${e.pipeline}\n${e.topic}\n${e.operator}`,
    ).map((e) => ({
      topic: e.topic,
      pipeline: e.pipeline,
      operator: e.operator,
      records: topicRecords(engine, e.topic),
    })),
  }));

  app.get('/api/alerts', async () => ({
    topics: distinct(
      engine
        .runs()
        .flatMap((run) => alertTopics(run.plan).map((t) => ({ ...t, pipeline: run.plan.pipeline }))),
      (e) => `${e.pipeline}\n${e.topic}\n${e.operator}`,
    ).map((e) => ({ topic: e.topic, pipeline: e.pipeline, operator: e.operator })),
  }));
}
