/** What `restore` is asked to do. */
export interface RestoreOptions {
  /**
   * The changelog offset to restore to (exclusive): the store position of the checkpoint being resumed.
   * The store ends up holding exactly the changelog's records below it (last write wins, tombstones
   * delete).
   */
  upToOffset: number;
  /** Called after every applied batch of a replay (not for a snapshot hit). */
  onProgress?: (progress: RestoreProgress) => void;
  /** Bytes per changelog fetch, one backend batch each (default 1 MiB). */
  fetchBytes?: number;
}

export interface RestoreProgress {
  readonly store: string;
  readonly recordsReplayed: number;
  /** The next changelog offset to replay; the replay is done when it reaches `upToOffset`. */
  readonly offset: number;
  readonly startOffset: number;
  readonly upToOffset: number;
}

/**
 * What `restore` did: `snapshot` when the backend already held exactly `upToOffset` (nothing replayed),
 * `incremental` when it replayed from the backend's offset, `full` when it cleared the backend and
 * replayed from the changelog's start (no, unreadable or foreign position, or one ahead of `upToOffset`).
 */
export interface RestoreResult {
  readonly mode: 'snapshot' | 'incremental' | 'full';
  readonly recordsReplayed: number;
  readonly startOffset: number;
  readonly upToOffset: number;
  /**
   * Keys found in the changelog past `upToOffset` (an uncommitted tail). Their restored values are
   * written again by the next flush, so the changelog read to its new end equals the restored state
   * whether or not the tail is ever discarded.
   */
  readonly tailKeys: number;
}
