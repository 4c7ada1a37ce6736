import { after } from 'node:test';
import { connectorPipelineConformance } from 'rivulet/testing';
import { postgresCdcHarness, postgresUpsertHarness, stopPrivatePostgres } from './postgres-harness.ts';

// The CDC source (on the private cluster) and the upsert sink driven by real pipeline runs on the
// embedded log.
after(() => stopPrivatePostgres());
connectorPipelineConformance('postgres', { source: postgresCdcHarness, sink: postgresUpsertHarness });
