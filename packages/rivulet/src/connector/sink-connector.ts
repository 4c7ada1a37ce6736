import type { Headers } from '../model/index.ts';

/**
 * What a sink guarantees after a crash: `transactional` (it stores its positions atomically with the
 * data, e.g. Postgres offsets in the same transaction, Parquet files renamed at commit: exactly once),
 * `idempotent` (a record written again replaces or is dropped by the server, keyed by `SinkRecord.id`:
 * exactly-once results, JetStream dedup, upserts), or `at-least-once` (a replay may duplicate).
 */
export type SinkGuarantee = 'transactional' | 'idempotent' | 'at-least-once';

/**
 * A record for a sink: encoded bytes as the pipeline wrote them to its outbox topic, with the
 * record's place there. `id` (`<pipeline>/<sink>/<partition>/<offset>`) is the same every time the
 * record is delivered, so a sink may use it as an idempotency key (Nats-Msg-Id, a webhook header).
 */
export interface SinkRecord {
  readonly key: Uint8Array | null;
  /** null: a tombstone (a delete for upserting sinks). */
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: Headers | undefined;
  readonly partition: number;
  readonly offset: number;
  readonly id: string;
}

/** Where a sink writes: which pipeline and sink it serves and how many outbox partitions feed it. */
export interface SinkContext {
  readonly pipeline: string;
  /** The sink's user-given name (`stream.to(name, ...)`). */
  readonly name: string;
  readonly partitions: number;
}

/**
 * A sink outside the embedded log. The engine (runtime/sink-delivery.ts) writes the pipeline's
 * committed output to its outbox topic, reads it in order per partition and hands it to the writer; it
 * calls `commit(positions)` about every commit interval and, for sinks that do not store positions
 * themselves, then records the positions in the log. On restart delivery resumes from
 * `writer.committed()` or else those recorded positions, so records after them are delivered again.
 */
export interface SinkConnector {
  readonly kind: 'sink-connector';
  readonly connector: string;
  readonly guarantee: SinkGuarantee;
  /** Rejects with a retryable EngineError ('CONNECTOR_UNAVAILABLE') when the server cannot be reached. */
  open(context: SinkContext): Promise<SinkWriter>;
}

/**
 * Writes one sink's records. Used by one caller at a time: calls never overlap. `write` may buffer;
 * `commit` makes everything written so far durable (and, for transactional sinks, visible) together
 * with `positions`. A failure rejects with an EngineError ('CONNECTOR_FAILED', retryable when the
 * engine should reopen and replay from the last commit).
 */
export interface SinkWriter {
  /**
   * The positions (next outbox offset per partition) stored by the sink's last commit, when the sink
   * stores them itself (transactional sinks must); undefined lets the engine use its own record.
   */
  committed(): Promise<ReadonlyMap<number, number> | undefined>;
  /** Takes records in outbox order per partition. */
  write(records: readonly SinkRecord[]): Promise<void>;
  /** `positions`: for each partition, the offset after the last record written. */
  commit(positions: ReadonlyMap<number, number>): Promise<void>;
  /** Releases the connection; what was written after the last commit may be lost or come again. */
  close(): Promise<void>;
}
