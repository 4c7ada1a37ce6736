/**
 * Runs one windows-suite case in this process and prints its outcome as one JSON line on stdout:
 * `node --import tsx bench/windows/window-case.ts '<WindowCaseRequest JSON>'`. The suite runs every case
 * in a fresh child process so each one's peak RSS is its own; the same command under `node --cpu-prof`
 * profiles one case (see docs/benchmarks.md, Runtime).
 */
import { pathToFileURL } from 'node:url';
import { measureEngineWindows, type WindowRequest, type WindowSample } from './engine-windows.ts';
import { measureWindowFloor } from './window-floor.ts';
import { measureWindowRxjs } from './window-rxjs-peer.ts';

export type WindowCaseRequest = ({ case: 'engine' | 'floor' | 'rxjs' } & WindowRequest) | { case: 'idle' };

export interface WindowCaseOutcome {
  windows?: WindowSample;
  /** Peak resident set size of the whole child process (process.resourceUsage().maxRSS). */
  maxRssBytes: number;
}

export async function runWindowCase(request: WindowCaseRequest): Promise<WindowCaseOutcome> {
  let windows: WindowSample | undefined;
  switch (request.case) {
    case 'engine':
      windows = await measureEngineWindows(request);
      break;
    case 'floor':
      windows = await measureWindowFloor(request);
      break;
    case 'rxjs':
      windows = measureWindowRxjs(request);
      break;
    case 'idle':
      break;
  }
  return {
    ...(windows === undefined ? {} : { windows }),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const request = JSON.parse(process.argv[2] ?? '{"case":"idle"}') as WindowCaseRequest;
  runWindowCase(request).then(
    (outcome) => {
      process.stdout.write(`${JSON.stringify(outcome)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
