import { connectorPipelineConformance } from 'rivulet/testing';
import { parquetSinkHarness } from './parquet-harness.ts';

// The Parquet sink driven by real pipeline runs on the embedded log, including a run failed mid-stream.
connectorPipelineConformance('parquet', { sink: parquetSinkHarness });
