/**
 * The CLI end to end: every case spawns `rivulet` child processes against its own temp data directory.
 * Cases run concurrently (spawning tsx dominates the run time); each case's steps run in order.
 */
import { describe, it } from 'node:test';
import { produceConsumeCases } from './produce-consume-cases.ts';
import { topicsCases } from './topics-cases.ts';
import { verifyHelpCases } from './verify-help-cases.ts';

describe('rivulet CLI', { concurrency: 16 }, () => {
  const register = (name: string, run: () => Promise<void>): void => {
    it(name, run);
  };
  produceConsumeCases(register);
  topicsCases(register);
  verifyHelpCases(register);
});
