import { fileURLToPath } from 'node:url';
import { runCaseProcess as runIn } from '../case-process.ts';
import type { CaseOutcome, CaseRequest } from './runtime-case.ts';

const CASE_SCRIPT = fileURLToPath(new URL('./runtime-case.ts', import.meta.url));

/** Runs one runtime case in its own child process (bench/case-process.ts). */
export function runCaseProcess(request: CaseRequest): Promise<CaseOutcome> {
  return runIn<CaseRequest, CaseOutcome>(CASE_SCRIPT, request);
}
