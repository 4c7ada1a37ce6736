import { fileURLToPath } from 'node:url';
import { runCaseProcess } from '../case-process.ts';
import type { JoinCaseOutcome, JoinCaseRequest } from './join-case.ts';

const CASE_SCRIPT = fileURLToPath(new URL('./join-case.ts', import.meta.url));

/** Runs one joins case in its own child process (bench/case-process.ts). */
export function runJoinCaseProcess(request: JoinCaseRequest): Promise<JoinCaseOutcome> {
  return runCaseProcess<JoinCaseRequest, JoinCaseOutcome>(CASE_SCRIPT, request);
}
