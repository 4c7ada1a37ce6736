import { json, type Pipeline, pipeline, text, topic } from '../../packages/rivulet/src/index.ts';
import { keepOrder, type Order, type Payment, toPayment } from './order-fixtures.ts';

/** The two pipelines the runtime suite measures. */
export type PipelineKind = 'stateless' | 'keyed-count';

/** `from -> filter(amount > 500) -> map(toPayment) -> to(out)`. */
export function statelessPipeline(source: string, out: string): Pipeline {
  const p = pipeline('bench-stateless');
  p.from('orders', topic(source, json<Order>()))
    .filter((o) => keepOrder(o))
    .map((o) => toPayment(o))
    .to('payments', topic(out, json<Payment>()));
  return p;
}

/**
 * `from -> groupByKey() -> count('counts') -> toStream() -> to(out)`: one output per input record. The
 * input is keyed by user and partitioned by it (as the floor relies on too), so no repartition.
 */
export function keyedCountPipeline(source: string, out: string): Pipeline {
  const p = pipeline('bench-count');
  p.from('orders', topic(source, json<Order>(), { key: text() }))
    .groupByKey()
    .count('counts')
    .toStream()
    .to('counts-out', topic(out, json<number>()));
  return p;
}

export function buildPipeline(kind: PipelineKind, source: string, out: string): Pipeline {
  return kind === 'stateless' ? statelessPipeline(source, out) : keyedCountPipeline(source, out);
}

export const SOURCE_TOPIC = 'orders';
export const OUT_TOPIC = 'out';

/** The pipelines over SOURCE_TOPIC -> OUT_TOPIC as module exports, which worker threads import. */
export const stateless = statelessPipeline(SOURCE_TOPIC, OUT_TOPIC);
export const keyedCount = keyedCountPipeline(SOURCE_TOPIC, OUT_TOPIC);

/** Where worker threads find `kind`'s pipeline: this module and the export's name. */
export function pipelineModule(kind: PipelineKind): { module: string; exportName: string } {
  return {
    module: new URL(import.meta.url).pathname,
    exportName: kind === 'stateless' ? 'stateless' : 'keyedCount',
  };
}
