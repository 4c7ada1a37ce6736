import { after } from 'node:test';
import { sinkConformance } from 'rivulet/connector/conformance';
import { postgresUpsertHarness, stopPrivatePostgres } from './postgres-harness.ts';

sinkConformance('postgres-upsert', postgresUpsertHarness);
after(() => stopPrivatePostgres());
