/**
 * The connector conformance suite (`rivulet/connector/conformance`): node:test cases every connector
 * runs against a real server of its kind, chosen by the features it declares.
 */
export {
  type SinkFixture,
  type SinkHarness,
  type StoredRecord,
  sinkConformance,
} from './sink-conformance.ts';
export {
  type ProducedRecord,
  type SourceFixture,
  type SourceHarness,
  sourceConformance,
} from './source-conformance.ts';
