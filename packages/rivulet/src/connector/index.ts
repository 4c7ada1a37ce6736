/**
 * The Source/Sink contract every connector implements (`rivulet/connector`). Connector packages import
 * only this entry point (and their client library); the engine drives connectors through it.
 */
export {
  EngineError,
  type ErrorCode,
  type Headers,
  isEngineError,
  partitionForKey,
} from '../model/index.ts';
// Types only (erased at run time): the suite itself is `rivulet/connector/conformance`, which loads node:test.
export type {
  ProducedRecord,
  SinkFixture,
  SinkHarness,
  SourceFixture,
  SourceHarness,
  StoredRecord,
} from './conformance/index.ts';
export { PollWaiter } from './poll-waiter.ts';
export type { SinkConnector, SinkContext, SinkGuarantee, SinkRecord, SinkWriter } from './sink-connector.ts';
export type {
  ConnectorRecord,
  SourceBatch,
  SourceConnector,
  SourceFeatures,
  SourceReader,
} from './source-connector.ts';
