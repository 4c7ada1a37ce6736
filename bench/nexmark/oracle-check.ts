/**
 * `--check`: a case's result rows against the DuckDB oracle of the correctness tests
 * (packages/rivulet/test/nexmark: our DuckDB translation of each query, compared as multisets) over the
 * same events. q12 counts bids per processing-time window, which the oracle models as one window; its
 * rows are compared as bids per bidder summed over windows.
 */
import { join } from 'node:path';
import { compareRowMultisets } from '../../packages/rivulet/test/nexmark/compare-rows.ts';
import { type NexmarkOracle, openNexmarkOracle } from '../../packages/rivulet/test/nexmark/duckdb-oracle.ts';
import { makeTempDir } from '../temp-dir.ts';
import { type EventConfig, writeEventsJsonl } from './nexmark-events.ts';
import type { Row } from './row-sink.ts';

/** The oracle's watermark when the end of the input closes every window and auction. */
export const ALL_CLOSED = Number.MAX_SAFE_INTEGER;
/** The processing-time window start given to the oracle's q12 (it is summed away). */
const Q12_WINDOW = 0;

export interface CheckResult {
  equal: boolean;
  actualRows: number;
  expectedRows: number;
  summary: string;
}

function q12Totals(rows: readonly Row[]): Row[] {
  const totals = new Map<unknown, number>();
  for (const r of rows) totals.set(r.bidder, (totals.get(r.bidder) ?? 0) + Number(r.bid_count));
  return [...totals].map(([bidder, bid_count]) => ({ bidder, bid_count }));
}

/** Opens the oracle over the events of `config` (written as JSONL to a temp dir), runs `use`, cleans up. */
export async function withOracle<T>(
  config: EventConfig,
  use: (oracle: NexmarkOracle) => Promise<T>,
): Promise<T> {
  const dir = makeTempDir('nexmark-oracle');
  try {
    const path = join(dir.path, 'events.jsonl');
    await writeEventsJsonl(path, config);
    const oracle = await openNexmarkOracle(path);
    try {
      return await use(oracle);
    } finally {
      oracle.close();
    }
  } finally {
    dir.remove();
  }
}

/** Compares `actual` with the oracle's `query` at `watermark`. */
export async function checkRows(
  oracle: NexmarkOracle,
  query: string,
  actual: readonly Row[],
  watermark: number,
): Promise<CheckResult> {
  let expected = await oracle.query(query, { watermark, processingWindowStart: Q12_WINDOW });
  let rows = actual;
  if (query === 'q12') {
    expected = q12Totals(expected);
    rows = q12Totals(actual);
  }
  const comparison = compareRowMultisets(rows, expected);
  return {
    equal: comparison.equal,
    actualRows: actual.length,
    expectedRows: expected.length,
    summary: `${query}: ${comparison.summary}`,
  };
}
