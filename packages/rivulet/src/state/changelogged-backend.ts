import { EngineError } from '../model/index.ts';
import { keyBytes, keyString } from './byte-order.ts';
import type { Changelog } from './changelog.ts';
import type {
  BackendRangeOptions,
  BackendWrite,
  KeyValueBackend,
  KeyValueEntry,
} from './key-value-backend.ts';
import { restoreFromChangelog } from './restore-from-changelog.ts';
import type { RestoreOptions, RestoreResult } from './restore-result.ts';
import { decodeStorePosition, encodeStorePosition } from './store-position.ts';

/**
 * The changelog layer, just above the backend: reads go straight to the backend; a batch of writes goes
 * to the changelog partition first and to the backend second (`write`); `restore` rebuilds the backend
 * from the changelog. Without a changelog it only forwards to the backend.
 *
 * It tracks `position`, the changelog offset the backend reflects (the store position a checkpoint
 * records), and refuses to write when the changelog partition does not end there
 * (STATE_CHANGELOG_DIVERGED): a second writer, or a store that was never restored, would otherwise make
 * the changelog describe a state the store never had.
 */
export class ChangeloggedBackend {
  readonly store: string;
  readonly backend: KeyValueBackend;
  readonly changelog: Changelog | undefined;
  /** The changelog topic's record size limit (undefined without changelog). */
  readonly maxRecordBytes: number | undefined;
  #position: number | undefined;
  /**
   * Set when the changelog holds records past `position` whose keys the next write re-asserts (after a
   * restore to an earlier offset, or a write whose backend step failed): that write may then append after
   * them, and the changelog read to its new end is again the store's state.
   */
  #tailEnd: number | undefined;

  constructor(store: string, backend: KeyValueBackend, changelog: Changelog | undefined) {
    this.store = store;
    this.backend = backend;
    this.changelog = changelog;
    // Throws UNKNOWN_TOPIC now rather than at the first flush.
    this.maxRecordBytes =
      changelog === undefined ? undefined : changelog.log.topicConfig(changelog.topic).maxRecordBytes;
    if (changelog !== undefined) changelog.log.partition(changelog.topic, changelog.partition);
    this.#position = this.#initialPosition();
  }

  #initialPosition(): number | undefined {
    if (this.changelog === undefined) return undefined;
    const stored = decodeStorePosition(this.backend.meta());
    if (
      stored !== undefined &&
      stored.topic === this.changelog.topic &&
      stored.partition === this.changelog.partition
    ) {
      return stored.offset;
    }
    // An empty backend reflects the empty start of any changelog; anything else is unknown until restored.
    return this.backend.count() === 0 ? 0 : undefined;
  }

  /** The changelog offset (exclusive) the backend holds; undefined without changelog or before a restore. */
  get position(): number | undefined {
    return this.#position;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.backend.get(key);
  }

  range(from?: Uint8Array, to?: Uint8Array, options?: BackendRangeOptions): KeyValueEntry[] {
    return this.backend.range(from, to, options);
  }

  count(): number {
    return this.backend.count();
  }

  /**
   * Makes `writes` durable: with a changelog, ONE append of all of them (keys as record keys, values as
   * record values, deletes as null tombstones), awaited, then one backend `apply` of the same batch whose
   * meta is the changelog end offset after the append. Resolves to that end offset (the position), or
   * undefined without changelog.
   *
   * ORDERING CONTRACT: changelog first, backend second. A crash between the two leaves the backend behind
   * the changelog with an exact meta offset, which restore repairs by replaying the difference. The
   * other order could leave the backend holding writes the changelog never got, which no restore could
   * take back. Failure: if the append fails nothing changed; if the backend step fails the records are in
   * the changelog, the position is unchanged, and a retry of the same writes (the cache keeps them) is
   * allowed to append after them.
   */
  async write(writes: readonly BackendWrite[]): Promise<number | undefined> {
    const changelog = this.changelog;
    if (changelog === undefined) {
      if (writes.length > 0) this.backend.apply(writes);
      return undefined;
    }
    if (writes.length === 0) return this.#position;
    const { log, topic, partition } = changelog;
    const end = log.partition(topic, partition).highWatermark;
    if (end !== this.#position && end !== this.#tailEnd) {
      throw new EngineError(
        'STATE_CHANGELOG_DIVERGED',
        `store ${this.store}: changelog ${topic}/${partition} ends at ${end} but the store holds ${
          this.#position === undefined ? 'an unknown position' : `offset ${this.#position}`
        }; restore the store first, and give each changelog partition a single writer`,
        { details: { store: this.store, topic, partition, end, position: this.#position } },
      );
    }
    // Changelog record timestamps use the log's clock: compaction ages tombstones by it.
    const timestamp = log.clock.now();
    const records = writes.map((write) => ({
      key: write.key,
      value: write.value,
      headers: undefined,
      timestamp,
    }));
    const appended = await log.append(topic, partition, records);
    const next = appended.lastOffset + 1;
    try {
      this.backend.apply(writes, encodeStorePosition({ topic, partition, offset: next }));
    } catch (error) {
      this.#tailEnd = next;
      throw error;
    }
    this.#position = next;
    this.#tailEnd = undefined;
    return next;
  }

  /**
   * Restores the backend to the changelog below `options.upToOffset` (restore-from-changelog.ts) and
   * returns, with what it did, the distinct keys of the changelog's records past `upToOffset`; the caller
   * must hand them to the next `write` with their restored values (see `#tailEnd`).
   */
  async restore(options: RestoreOptions): Promise<{ result: RestoreResult; tailKeys: Uint8Array[] }> {
    const changelog = this.changelog;
    if (changelog === undefined) {
      throw new EngineError('INVALID_ARGUMENT', `store ${this.store} has no changelog to restore from`, {
        details: { store: this.store },
      });
    }
    this.#position = undefined;
    this.#tailEnd = undefined;
    const restored = await restoreFromChangelog(this.store, this.backend, changelog, options);
    this.#position = options.upToOffset;
    const end = changelog.log.partition(changelog.topic, changelog.partition).highWatermark;
    const tailKeys = end > options.upToOffset ? await this.#keysBetween(options.upToOffset, end) : [];
    if (tailKeys.length > 0) this.#tailEnd = end;
    return { result: { ...restored, tailKeys: tailKeys.length }, tailKeys };
  }

  async #keysBetween(from: number, to: number): Promise<Uint8Array[]> {
    const { log, topic, partition } = this.changelog!;
    const keys = new Set<string>();
    let offset = from;
    while (offset < to) {
      const fetched = await log.fetch(topic, partition, offset, undefined, 'uncommitted'); // the tail is uncommitted
      for (const record of fetched.records) {
        if (record.offset >= to) break;
        if (record.key !== null) keys.add(keyString(record.key));
      }
      if (fetched.nextOffset <= offset) break;
      offset = fetched.nextOffset;
    }
    return [...keys].map(keyBytes);
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}
