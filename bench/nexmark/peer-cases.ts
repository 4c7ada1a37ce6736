/**
 * The peers' cases, each over the same events as the engine (generated in the timed part, as the
 * engine's in-process source does): the hand-written loop (the floor), RxJS, Node object-mode streams,
 * and DuckDB over the events loaded from JSONL (only the query timed; the load reported apart).
 */
import { join } from 'node:path';
import { nexmarkQueries } from '../../packages/rivulet/src/nexmark/index.ts';
import { openNexmarkOracle } from '../../packages/rivulet/test/nexmark/duckdb-oracle.ts';
import { makeTempDir } from '../temp-dir.ts';
import { type Measured, type Profiler, timed } from './measure.ts';
import { type EventConfig, mergedEvents, writeEventsJsonl } from './nexmark-events.ts';
import { runNodeStreams } from './node-streams-peers.ts';
import { ALL_CLOSED, type CheckResult, checkRows, withOracle } from './oracle-check.ts';
import { runFloor } from './query-floors.ts';
import { CollectingSink, CountingSink, type RowSink } from './row-sink.ts';
import { runRxjs } from './rxjs-peers.ts';

export type PeerKind = 'hand-loop' | 'rxjs' | 'node-streams';

export interface PeerRequest {
  peer: PeerKind;
  query: string;
  events: EventConfig;
  check: boolean;
}

function runPeer(request: PeerRequest, sink: RowSink): void | Promise<void> {
  const source = mergedEvents(request.events);
  switch (request.peer) {
    case 'hand-loop':
      return runFloor(request.query, source, sink);
    case 'rxjs':
      return runRxjs(request.query, source, sink);
    case 'node-streams':
      return runNodeStreams(request.query, source, sink);
  }
}

/**
 * One timed run of a peer into a counting sink (a blackhole); with `check`, a second, untimed run into
 * a collecting sink whose rows are compared with the DuckDB oracle (every window closed at the end).
 */
export async function measurePeer(
  request: PeerRequest,
  profiler?: Profiler,
): Promise<{ sample: Measured; check?: CheckResult; maxRssBytes: number }> {
  const sink = new CountingSink();
  await profiler?.start();
  const run = await timed(() => runPeer(request, sink));
  await profiler?.stop();
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const sample: Measured = {
    events: request.events.events,
    outputs: sink.outputs,
    seconds: run.seconds,
    cpuSeconds: run.cpuSeconds,
  };
  if (!request.check) return { sample, maxRssBytes };
  const collected = new CollectingSink();
  await runPeer(request, collected);
  const rows = collected.rows(nexmarkQueries.get(request.query)!.output);
  const check = await withOracle(request.events, (oracle) =>
    checkRows(oracle, request.query, rows, ALL_CLOSED),
  );
  return { sample, check, maxRssBytes };
}

export interface DuckdbSample extends Measured {
  /** Loading the JSONL file into DuckDB (not part of seconds/cpuSeconds). */
  loadSeconds: number;
  loadCpuSeconds: number;
}

/**
 * DuckDB, the batch anchor: the events written as JSONL (untimed), loaded into an in-memory DuckDB
 * (timed apart: load), then the oracle's SQL for the query with every window closed ($watermark = the
 * end of time), timed: the query alone. DuckDB uses its own threads (all cores); CPU counts them.
 */
export async function measureDuckdb(
  query: string,
  events: EventConfig,
): Promise<{ sample: DuckdbSample; maxRssBytes: number }> {
  const dir = makeTempDir('nexmark-duckdb');
  try {
    const path = join(dir.path, 'events.jsonl');
    await writeEventsJsonl(path, events);
    const load = await timed(() => openNexmarkOracle(path));
    const oracle = load.result;
    try {
      const run = await timed(() => oracle.query(query, { watermark: ALL_CLOSED, processingWindowStart: 0 }));
      return {
        sample: {
          events: events.events,
          outputs: run.result.length,
          seconds: run.seconds,
          cpuSeconds: run.cpuSeconds,
          loadSeconds: load.seconds,
          loadCpuSeconds: load.cpuSeconds,
        },
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      };
    } finally {
      oracle.close();
    }
  } finally {
    dir.remove();
  }
}
