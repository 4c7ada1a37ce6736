/**
 * Runs one runtime-suite case in this process and prints its outcome as one JSON line on stdout:
 * `node --import tsx bench/runtime/runtime-case.ts '<CaseRequest JSON>'`. The suite runs every case in
 * a fresh child process so each one's peak RSS is its own; the same command under `node --cpu-prof`
 * profiles one case (see docs/benchmarks.md).
 */
import { pathToFileURL } from 'node:url';
import type { LatencySample } from './engine-latency.ts';
import { measureEngineLatency } from './engine-latency.ts';
import { type Guarantee, measureEngineThroughput, type ThroughputSample } from './engine-throughput.ts';
import { measureHandLoop } from './hand-loop-floor.ts';
import type { PipelineKind } from './runtime-pipelines.ts';
import { measureRxjs } from './rxjs-peer.ts';

export type CaseRequest =
  | {
      case: 'engine';
      kind: PipelineKind;
      guarantee: Guarantee;
      parallelism: number;
      records: number;
      keys: number;
    }
  | { case: 'floor' | 'rxjs'; kind: PipelineKind; records: number; keys: number }
  | {
      case: 'latency';
      guarantee: Guarantee;
      rate: number | 'max';
      keys: number;
      warmupMs: number;
      durationMs: number;
    }
  | { case: 'idle' };

export interface CaseOutcome {
  throughput?: ThroughputSample;
  latency?: LatencySample;
  /** Peak resident set size of the whole child process (process.resourceUsage().maxRSS). */
  maxRssBytes: number;
}

export async function runCase(request: CaseRequest): Promise<CaseOutcome> {
  let outcome: Omit<CaseOutcome, 'maxRssBytes'> = {};
  switch (request.case) {
    case 'engine':
      outcome = { throughput: await measureEngineThroughput(request) };
      break;
    case 'floor':
      outcome = { throughput: await measureHandLoop(request) };
      break;
    case 'rxjs':
      outcome = { throughput: measureRxjs(request) };
      break;
    case 'latency':
      outcome = { latency: await measureEngineLatency(request) };
      break;
    case 'idle':
      break;
  }
  return { ...outcome, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const request = JSON.parse(process.argv[2] ?? '{"case":"idle"}') as CaseRequest;
  runCase(request).then(
    (outcome) => {
      process.stdout.write(`${JSON.stringify(outcome)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
