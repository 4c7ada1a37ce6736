import { filter, from, mergeMap, scan } from 'rxjs';
import { hrMicros } from '../runtime/engine-throughput.ts';
import { BOUND_MS, type Click, generateClicks, isFlushUser } from './click-fixtures.ts';
import type { WindowRequest, WindowSample } from './engine-windows.ts';
import { type WindowCounts, type WindowResult, windowCounts } from './window-counts.ts';

interface ScanState {
  counts: WindowCounts;
  maxTs: number;
  late: number;
  /** The windows the current record's watermark closed (usually none). */
  closed: WindowResult[];
}

/**
 * The peer: RxJS over the already-decoded clicks in memory (no log, no JSON, no I/O), in generation
 * order, then the flush records: a `scan` folds each click into the window Maps (window-counts.ts, the
 * floor's logic) and moves the watermark (largest event time seen - 5 s, one stream) after every record,
 * closing windows as it passes their end; `filter` + `mergeMap` emit the closed windows' results, which
 * are collected in an array.
 */
export function measureWindowRxjs(request: WindowRequest): WindowSample {
  const clicks = generateClicks(request.records, request.users, request.rate);
  const out: WindowResult[] = [];
  const startUs = hrMicros();
  const started = performance.now();
  let late = 0;
  from(clicks)
    .pipe(
      scan(
        (state: ScanState, c: Click) => {
          if (!state.counts.add(c.user, c.ts)) state.late++;
          if (c.ts > state.maxTs) state.maxTs = c.ts;
          state.closed = state.counts.close(state.maxTs - BOUND_MS);
          late = state.late;
          return state;
        },
        { counts: windowCounts(request.kind), maxTs: Number.NEGATIVE_INFINITY, late: 0, closed: [] },
      ),
      filter((s) => s.closed.length > 0),
      mergeMap((s) => s.closed),
    )
    .subscribe((result) => out.push(result));
  const seconds = (performance.now() - started) / 1000;
  const endUs = hrMicros();
  let results = 0;
  let windowedRecords = 0;
  for (const result of out) {
    if (isFlushUser(result.key)) continue;
    results++;
    windowedRecords += result.value;
  }
  return { records: request.records, results, windowedRecords, late, seconds, windowUs: [startUs, endUs] };
}
