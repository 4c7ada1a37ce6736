/**
 * What a user function may know about the record it is called with, besides its value. The object is
 * reused between calls: read it during the call, do not keep it.
 */
export interface RecordContext<K> {
  /** The record's key: the source key (bytes, or decoded by the source's key format) or the keyBy result. */
  readonly key: K;
  /** Event time in ms since the epoch (the record timestamp). */
  readonly timestamp: number;
  readonly headers: ReadonlyMap<string, Uint8Array> | undefined;
}

/** Keys a keyBy may produce: encoded as JSON, so equal keys have equal bytes. */
export type Key = string | number | boolean | readonly (string | number | boolean)[];
