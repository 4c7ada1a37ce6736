/**
 * Runs one joins-suite case in this process and prints its outcome as one JSON line on stdout:
 * `node --import tsx bench/joins/join-case.ts '<JoinCaseRequest JSON>'`. The suite runs every case in a
 * fresh child process so each one's peak RSS is its own; the same command under `node --cpu-prof`
 * profiles one case (see docs/benchmarks.md, Joins).
 */
import { pathToFileURL } from 'node:url';
import { measureEngineStreamStream } from './engine-stream-stream.ts';
import { measureEngineStreamTable } from './engine-stream-table.ts';
import { JOIN_CASES } from './join-case-names.ts';
import type {
  JoinSample,
  StreamStreamRequest,
  StreamStreamSample,
  StreamTableRequest,
} from './join-sample.ts';
import { measureStreamStreamFloor } from './stream-stream-floor.ts';
import { measureStreamTableFloor } from './stream-table-floor.ts';

export type JoinCaseRequest =
  | ({ case: typeof JOIN_CASES.engineStreamTable | typeof JOIN_CASES.floorStreamTable } & StreamTableRequest)
  | ({
      case: typeof JOIN_CASES.engineStreamStream | typeof JOIN_CASES.floorStreamStream;
    } & StreamStreamRequest)
  | { case: typeof JOIN_CASES.idle };

export interface JoinCaseOutcome {
  /** A stream-table case's sample. */
  join?: JoinSample;
  /** A stream-stream case's sample. */
  streamJoin?: StreamStreamSample;
  /** Peak resident set size of the whole child process (process.resourceUsage().maxRSS). */
  maxRssBytes: number;
}

export async function runJoinCase(request: JoinCaseRequest): Promise<JoinCaseOutcome> {
  let join: JoinSample | undefined;
  let streamJoin: StreamStreamSample | undefined;
  switch (request.case) {
    case JOIN_CASES.engineStreamTable:
      join = await measureEngineStreamTable(request);
      break;
    case JOIN_CASES.floorStreamTable:
      join = await measureStreamTableFloor(request);
      break;
    case JOIN_CASES.engineStreamStream:
      streamJoin = await measureEngineStreamStream(request);
      break;
    case JOIN_CASES.floorStreamStream:
      streamJoin = await measureStreamStreamFloor(request);
      break;
    case JOIN_CASES.idle:
      break;
  }
  return {
    ...(join === undefined ? {} : { join }),
    ...(streamJoin === undefined ? {} : { streamJoin }),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const request = JSON.parse(process.argv[2] ?? `{"case":"${JOIN_CASES.idle}"}`) as JoinCaseRequest;
  runJoinCase(request).then(
    (outcome) => {
      process.stdout.write(`${JSON.stringify(outcome)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
