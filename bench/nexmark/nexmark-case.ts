/**
 * Runs one Nexmark case in this process and prints its outcome as one JSON line on stdout:
 * `node --import tsx bench/nexmark/nexmark-case.ts '<NexmarkCaseRequest JSON>'`. The suite runs every
 * case in a fresh child process (bench/case-process.ts), so each one's peak RSS and CPU are its own.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCaseProcess } from '../case-process.ts';
import type { EngineRequest, EngineSample } from './engine-case.ts';
import type { LatencyRequest, LatencySample } from './engine-latency.ts';
import type { Measured } from './measure.ts';
import type { CheckResult } from './oracle-check.ts';
import type { DuckdbSample, PeerRequest } from './peer-cases.ts';

export type NexmarkCaseRequest =
  | ({ case: 'engine' } & EngineRequest)
  | ({ case: 'peer'; profile?: string } & PeerRequest)
  | ({ case: 'duckdb' } & Pick<PeerRequest, 'query' | 'events'>)
  | ({ case: 'latency' } & LatencyRequest);

export interface NexmarkCaseOutcome {
  throughput?: Measured & Partial<EngineSample> & Partial<DuckdbSample>;
  latency?: LatencySample;
  check?: CheckResult;
  /** Peak resident set size of the child process at the end of the timed part (maxRSS). */
  maxRssBytes: number;
}

/**
 * Runs one case. Each kind loads only its own modules: an engine case in a process that had also loaded
 * the peers (DuckDB's native library among them) ran up to 2x slower with about 110 MB more RSS.
 */
export async function runNexmarkCase(request: NexmarkCaseRequest): Promise<NexmarkCaseOutcome> {
  switch (request.case) {
    case 'engine': {
      const [{ measureEngine }, { cpuProfiler }] = await Promise.all([
        import('./engine-case.ts'),
        import('./measure.ts'),
      ]);
      const profiler = request.profile === undefined ? undefined : cpuProfiler(request.profile);
      const { sample, check, maxRssBytes } = await measureEngine(request, profiler);
      return { throughput: sample, ...(check === undefined ? {} : { check }), maxRssBytes };
    }
    case 'peer': {
      const [{ measurePeer }, { cpuProfiler }] = await Promise.all([
        import('./peer-cases.ts'),
        import('./measure.ts'),
      ]);
      const profiler = request.profile === undefined ? undefined : cpuProfiler(request.profile);
      const { sample, check, maxRssBytes } = await measurePeer(request, profiler);
      return { throughput: sample, ...(check === undefined ? {} : { check }), maxRssBytes };
    }
    case 'duckdb': {
      const { measureDuckdb } = await import('./peer-cases.ts');
      const { sample, maxRssBytes } = await measureDuckdb(request.query, request.events);
      return { throughput: sample, maxRssBytes };
    }
    case 'latency': {
      const { measureEngineLatency } = await import('./engine-latency.ts');
      return {
        latency: await measureEngineLatency(request),
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      };
    }
  }
}

const CASE_SCRIPT = fileURLToPath(import.meta.url);

/** Runs one case in its own child process. */
export function runNexmarkCaseProcess(request: NexmarkCaseRequest): Promise<NexmarkCaseOutcome> {
  return runCaseProcess<NexmarkCaseRequest, NexmarkCaseOutcome>(CASE_SCRIPT, request);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const request = JSON.parse(process.argv[2] ?? 'null') as NexmarkCaseRequest;
  runNexmarkCase(request).then(
    (outcome) => {
      process.stdout.write(`${JSON.stringify(outcome)}\n`);
      // Worker threads or DuckDB may keep the loop alive a little; the outcome is out.
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
