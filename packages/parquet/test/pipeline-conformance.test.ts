import { connectorPipelineConformance } from 'rivulet/testing';
import { parquetSinkHarness } from './parquet-harness.ts';
import { parquetS3SinkHarness } from './parquet-s3-harness.ts';

// The Parquet sink driven by real pipeline runs on the embedded log, including a run failed mid-stream:
// on a local directory and on an S3-compatible bucket (a private s3rver per fixture).
connectorPipelineConformance('parquet', { sink: parquetSinkHarness });
connectorPipelineConformance('parquet (s3)', { sink: parquetS3SinkHarness });
