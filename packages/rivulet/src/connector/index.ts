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
export type { SinkConnector, SinkContext, SinkGuarantee, SinkRecord, SinkWriter } from './sink-connector.ts';
export type {
  ConnectorRecord,
  SourceBatch,
  SourceConnector,
  SourceFeatures,
  SourceReader,
} from './source-connector.ts';
