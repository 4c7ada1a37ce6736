/** Record headers: ordered, string names, byte values. Never a plain object keyed by user data. */
export type Headers = Map<string, Uint8Array>;

/** Bytes or text for keys and values at API edges; text is encoded as UTF-8. */
export type Bytes = Uint8Array | string;

/** A record as a producer hands it to a topic. */
export interface ProducerRecord {
  /** Decides the partition (murmur2) unless `partition` is given; null/absent spreads records round-robin. */
  key?: Bytes | null;
  /** null is a tombstone (deletes the key in compacted topics). */
  value: Bytes | null;
  headers?: Headers;
  /** Event time in ms since the epoch; defaults to the log's clock at append. */
  timestamp?: number;
  partition?: number;
}
