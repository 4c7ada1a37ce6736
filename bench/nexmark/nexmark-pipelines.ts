/**
 * The engine pipelines the Nexmark suite runs: one query of `nexmarkQueries` over the events, read from
 * the input topic (`log`) or generated in the task (`memory`, the in-process `nexmarkSource`), writing
 * its results to the topic `<query>-out`. Every query is also exported by name as a lazily built
 * pipeline, which worker threads import (parallelism > 1); they find the source in the environment
 * variable the case process sets before `engine.run` (workers inherit it).
 */
import { fileURLToPath } from 'node:url';
import {
  blackhole,
  json,
  type Pipeline,
  pipeline,
  type Stream,
  text,
  topic,
} from '../../packages/rivulet/src/index.ts';
import {
  type NexmarkEvent,
  nexmarkContext,
  nexmarkQueries,
  nexmarkSource,
} from '../../packages/rivulet/src/nexmark/index.ts';
import { EVENTS_TOPIC, type EventConfig, SIDE_INPUT_TOPIC } from './nexmark-events.ts';

export type PipelineSource = { kind: 'log' } | { kind: 'memory'; config: EventConfig };
/** Where the results go: the JSON topic `<query>-out`, or a `blackhole()` (dropped unencoded). */
export type PipelineSink = 'topic' | 'blackhole';

export const PIPELINE_ENV = 'RIVULET_NEXMARK_BENCH_PIPELINE';
export const PIPELINES_MODULE = fileURLToPath(import.meta.url);

export const outTopic = (query: string): string => `${query}-out`;

/**
 * `query` over `source`, its result to `<query>-out` (JSON) or a blackhole, q13's side input from its
 * topic.
 */
export function queryPipeline(query: string, source: PipelineSource, sink: PipelineSink = 'topic'): Pipeline {
  const q = nexmarkQueries.get(query);
  if (q === undefined) throw new Error(`unknown Nexmark query '${query}'`);
  const p = pipeline(`nexmark-${query}`);
  let events: Stream<NexmarkEvent>;
  if (source.kind === 'log') {
    events = p.from('events', topic<NexmarkEvent>(EVENTS_TOPIC, json<NexmarkEvent>()));
  } else {
    const { events: count, rate, seed, splits } = source.config;
    events = p.from('events', nexmarkSource({ events: count, rate, seed, splits }));
  }
  const context = nexmarkContext(p, events, () =>
    p.globalTable('side-input', topic(SIDE_INPUT_TOPIC, json<number>(), { key: text() })),
  );
  q.build(context).to(`${query}-sink`, sink === 'blackhole' ? blackhole() : topic(outTopic(query), json()));
  return p;
}

interface PipelineSpec {
  source: PipelineSource;
  sink: PipelineSink;
}

/** The source and sink the case process chose, for worker threads. */
function specFromEnv(): PipelineSpec {
  const raw = process.env[PIPELINE_ENV];
  if (raw === undefined) return { source: { kind: 'log' }, sink: 'topic' };
  return JSON.parse(raw) as PipelineSpec;
}

/** Sets the source and sink worker threads build `queryPipeline` with (before engine.run). */
export function exportPipelineToWorkers(source: PipelineSource, sink: PipelineSink): void {
  process.env[PIPELINE_ENV] = JSON.stringify({ source, sink } satisfies PipelineSpec);
}

/** A pipeline export built only when a worker asks for it (the runner calls `plan()`). */
const lazy = (query: string) => ({
  plan: () => {
    const { source, sink } = specFromEnv();
    return queryPipeline(query, source, sink).plan();
  },
});

export const q0 = lazy('q0');
export const q1 = lazy('q1');
export const q2 = lazy('q2');
export const q3 = lazy('q3');
export const q4 = lazy('q4');
export const q5 = lazy('q5');
export const q6 = lazy('q6');
export const q7 = lazy('q7');
export const q8 = lazy('q8');
export const q9 = lazy('q9');
export const q10 = lazy('q10');
export const q11 = lazy('q11');
export const q12 = lazy('q12');
export const q13 = lazy('q13');
export const q14 = lazy('q14');
export const q15 = lazy('q15');
export const q16 = lazy('q16');
export const q17 = lazy('q17');
export const q18 = lazy('q18');
export const q19 = lazy('q19');
export const q20 = lazy('q20');
export const q21 = lazy('q21');
export const q22 = lazy('q22');
export const q23 = lazy('q23');
