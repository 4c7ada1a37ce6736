import { fileURLToPath } from 'node:url';
import { runCaseProcess } from '../case-process.ts';
import type { WindowCaseOutcome, WindowCaseRequest } from './window-case.ts';

const CASE_SCRIPT = fileURLToPath(new URL('./window-case.ts', import.meta.url));

/** Runs one windows case in its own child process (bench/case-process.ts). */
export function runWindowCaseProcess(request: WindowCaseRequest): Promise<WindowCaseOutcome> {
  return runCaseProcess<WindowCaseRequest, WindowCaseOutcome>(CASE_SCRIPT, request);
}
