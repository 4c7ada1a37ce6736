/** A result row of a Nexmark query, as the engine writes it (JSON object). */
export type Row = Record<string, unknown>;

/**
 * Where a peer puts its results: `append` for an append query's rows, `upsert` for an upsert query's
 * new value under a key (one row, or q19's ranked rows).
 */
export interface RowSink {
  append(row: Row): void;
  upsert(key: string | number, value: Row | Row[]): void;
}

/**
 * The benchmark's sink: counts what it gets and keeps the last value (so the rows escape and cannot be
 * optimised away), as the reference runs' blackhole sinks do.
 */
export class CountingSink implements RowSink {
  outputs = 0;
  last: unknown;

  append(row: Row): void {
    this.outputs++;
    this.last = row;
  }

  upsert(_key: string | number, value: Row | Row[]): void {
    this.outputs++;
    this.last = value;
  }
}

/** Keeps every appended row and the latest value per key, for comparing with the oracle. */
export class CollectingSink implements RowSink {
  outputs = 0;
  readonly appended: Row[] = [];
  readonly latest = new Map<string | number, Row | Row[]>();

  append(row: Row): void {
    this.outputs++;
    this.appended.push(row);
  }

  upsert(key: string | number, value: Row | Row[]): void {
    this.outputs++;
    this.latest.set(key, value);
  }

  /** The result: the appended rows, or the final table's rows (arrays flattened). */
  rows(output: 'append' | 'upsert'): Row[] {
    if (output === 'append') return this.appended;
    const rows: Row[] = [];
    for (const value of this.latest.values()) {
      if (Array.isArray(value)) rows.push(...value);
      else rows.push(value);
    }
    return rows;
  }
}
