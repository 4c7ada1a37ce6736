import { connectorPipelineConformance } from 'rivulet/testing';
import {
  redisGroupSourceHarness,
  redisStreamSinkHarness,
  redisStreamSourceHarness,
} from './redis-harness.ts';

// The stream source (by position and through a consumer group) and the transactional stream sink driven
// by real pipeline runs on the embedded log.
connectorPipelineConformance('redis streams', {
  source: redisStreamSourceHarness,
  sink: redisStreamSinkHarness,
});
connectorPipelineConformance('redis streams (group)', { source: redisGroupSourceHarness });
