export {
  BucketHistogram,
  DURATION_BUCKETS_MS,
  type HistogramSnapshot,
  LATENCY_BUCKETS_MS,
} from './bucket-histogram.ts';
export { type Clock, ManualClock, systemClock } from './clock.ts';
export { type Duration, parseDuration } from './duration.ts';
export { EngineError, type EngineErrorOptions, isEngineError } from './engine-error.ts';
export { type ErrorCode, type ErrorDomain, errorCodes } from './error-codes.ts';
export {
  armFailpoint,
  armFailpointsFrom,
  disarmFailpoints,
  type FailpointAction,
  failpoint,
} from './failpoint.ts';
export { murmur2, partitionForKey } from './murmur2.ts';
export type { Bytes, Headers, ProducerRecord } from './record.ts';
export { bytesSerde, float64Serde, jsonSerde, type Serde, stringSerde } from './serde.ts';
export { sleep } from './sleep.ts';
export type { StandardSchemaV1 } from './standard-schema.ts';
