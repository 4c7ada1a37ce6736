import type { LogRecord } from './log-record.ts';

/** What one fetch returns. Records are in offset order, all >= the requested offset. */
export interface FetchResult {
  records: LogRecord[];
  /** The offset to fetch next: after the last record returned, or past a gap skipped. */
  nextOffset: number;
  /** Offsets below this are readable (acknowledged under the partition's durability). */
  highWatermark: number;
  logStartOffset: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** True when every batch was a retry of one already appended (idempotent producer). */
  duplicate: boolean;
}
