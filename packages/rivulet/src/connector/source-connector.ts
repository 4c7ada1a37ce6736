import type { Headers } from '../model/index.ts';

/**
 * A record as a connector hands it over: encoded bytes (the pipeline's format decodes them, so a bad
 * payload meets the pipeline's `deserialize` error policy), the time it carries (event time from the
 * external system, else the arrival time) and headers. Connectors add provenance headers
 * (`rivulet.source.<thing>`), which dead-letter records keep; `rivulet.source.topic`, `.partition` and
 * `.offset` are reserved: a dead letter's router sets them to the record's place in the ingest topic.
 */
export interface ConnectorRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** Milliseconds since the epoch; a safe integer. */
  timestamp: number;
  headers: Headers | undefined;
}

/**
 * Records read from one split, and where reading resumes after them. `position` is opaque to the engine
 * (a JetStream sequence, a Redis stream id, a file byte offset, a Postgres LSN...), JSON-safe text; it
 * is stored in the pipeline's checkpoint and handed back to `open` on restart.
 */
export interface SourceBatch {
  readonly records: readonly ConnectorRecord[];
  readonly position: string;
}

/** What a source can promise; the conformance suite runs the cases these allow. */
export interface SourceFeatures {
  /** Records of one split arrive in the order they were written (per key at least). */
  readonly ordered: boolean;
  /** Records survive a restart of the external server. */
  readonly persistent: boolean;
  /** `open(split, position)` resumes right after `position` (replayable: a stream, a file, a WAL). */
  readonly positioned: boolean;
  /**
   * After a crash, records read but not yet committed come again exactly once (`exactly-once`: the
   * position is all that is needed), or at least once (`at-least-once`: an acknowledging queue
   * redelivers what was not acknowledged, so a record may be seen twice), or may be lost
   * (`at-most-once`: core pub/sub without persistence).
   */
  readonly replay: 'exactly-once' | 'at-least-once' | 'at-most-once';
}

/**
 * A source of records outside the embedded log. The engine (see runtime/source-ingest.ts) calls
 * `splits()` once per run, opens a reader per split in the coordinating thread, appends what it reads
 * to the pipeline's ingest topic, records each split's position in every checkpoint, and calls
 * `commit(position)` only once a checkpoint holding that position is durable. Nothing is acknowledged
 * to the external system before that, so a crash loses no acknowledged record.
 */
export interface SourceConnector {
  readonly kind: 'source-connector';
  /** The connector's kind ('nats-jetstream', 'redis-stream'...), for errors, metrics and docs. */
  readonly connector: string;
  readonly features: SourceFeatures;
  /**
   * The independent parts read in parallel, each keeping its own order (partition subjects, a Redis
   * stream per key, one file...). Stable across runs: the same split names the same data.
   */
  splits(): Promise<readonly string[]>;
  /**
   * Opens a reader of `split` that starts right after `position` (undefined: from where the connector
   * starts by its options, e.g. the beginning of a stream). Rejects with a retryable EngineError
   * ('CONNECTOR_UNAVAILABLE') when the server cannot be reached, 'SOURCE_POSITION_INVALID' for a
   * position that cannot be resumed from.
   */
  open(split: string, position: string | undefined): Promise<SourceReader>;
}

/** One split being read. Used by one caller at a time: `poll`, `commit` and `close` never overlap. */
export interface SourceReader {
  /**
   * The next records, at most `maxRecords`, waiting up to `maxWaitMs` (or until `signal` aborts) when
   * none is ready: then resolves with an empty batch (same position). Never returns a record twice in
   * one reader's life. Holds at most a bounded read-ahead in memory (backpressure: the server keeps the
   * rest). A lost connection is retried inside; a failure it cannot recover from rejects with an
   * EngineError ('CONNECTOR_FAILED', retryable when reopening may help).
   */
  poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch>;
  /**
   * Everything up to `position` (a position this reader returned) is safely in the engine: the source
   * may acknowledge or release it (ack, XACK, confirm an LSN). Positions only grow.
   */
  commit(position: string): Promise<void>;
  /** Stops reading and releases the connection; records returned but not committed come again later. */
  close(): Promise<void>;
}
