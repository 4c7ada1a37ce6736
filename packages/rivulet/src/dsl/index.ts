export { bytes, custom, type Format, json, text } from './format.ts';
export { type GeneratorPartition, type GeneratorSource, generatorSource } from './generator-source.ts';
export { GlobalTable } from './global-table.ts';
export { JoinedStream, type LateJoinInput, type StreamJoinOptions } from './joined-stream.ts';
export { KeyedStream, type TemporalJoinOptions } from './keyed-stream.ts';
export {
  type Match,
  Pattern,
  type PatternCondition,
  type PatternContext,
  type PatternStage,
  pattern,
} from './pattern.ts';
export { Pipeline, pipeline } from './pipeline.ts';
export type { KeyedState, Processor, ProcessorContext, StoreDefinition } from './processor.ts';
export type { Key, RecordContext } from './record-context.ts';
export { Stream } from './stream.ts';
export { Table } from './table.ts';
export type { Crossing, Silence } from './time-processors.ts';
export {
  blackhole,
  type SinkSpec,
  type SourceSpec,
  type TopicSpec,
  type TopicSpecOptions,
  topic,
} from './topic-spec.ts';
export { boundedOutOfOrder, type WatermarkStrategy } from './watermark-strategy.ts';
export { decaying, hopping, session, sliding, tumbling } from './window-spec.ts';
export { type Windowed, WindowedResult, WindowedStream, type WindowOptions } from './windowed-stream.ts';
