import { after } from 'node:test';
import { sourceConformance } from 'rivulet/connector/conformance';
import { postgresCdcHarness, stopPrivatePostgres } from './postgres-harness.ts';

sourceConformance('postgres-cdc', postgresCdcHarness);
after(() => stopPrivatePostgres());
