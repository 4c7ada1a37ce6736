/**
 * A Parquet file of one commit: `dir` is its partition directory relative to the table root
 * ('/'-separated, '' for the root), `name` its deterministic final name (offset range, so a replay of
 * the same rows produces the same name and the same bytes).
 */
export interface TableFile {
  readonly dir: string;
  readonly name: string;
  readonly data: Uint8Array;
}

/**
 * Where a Parquet sink's table lives (a local directory or an S3-compatible bucket) and how a commit
 * becomes atomic there. The sink encodes the files; the store owns the commit protocol.
 *
 * - Ordering: `recover` once, before any `commit`; commits one at a time (the sink's calls never overlap).
 * - Blocking: each call resolves only when its effect is durable on the target.
 * - Ownership: one writer per (table, file name base) at a time; the store never touches other sinks' files.
 * - Failure: rejects with an EngineError (or a raw error the sink maps); after a failed `commit` the
 *   writer is unusable and the engine reopens, whose `recover` leaves exactly the last commit visible.
 */
export interface TableStore {
  /** Human-readable location for messages (`/data/lake`, `s3://bucket/prefix/`). */
  readonly location: string;
  /** The final file name for rows `first`..`last` of outbox partition `partition`. */
  fileName(partition: number, first: number, last: number): string;
  /** Repairs what a crash left and returns the last commit's positions (next offset per partition). */
  recover(): Promise<Map<number, number>>;
  /** Makes `files` visible together with `positions` (all or nothing after a crash). */
  commit(files: readonly TableFile[], positions: ReadonlyMap<number, number>): Promise<void>;
}
