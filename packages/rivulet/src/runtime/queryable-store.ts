import type { Log } from '../log/index.ts';
import { EngineError, partitionForKey, type Serde } from '../model/index.ts';
import type { TopologyStore } from '../plan/index.ts';
import { compareBytes, createKeyValueStore, type KeyValueStore } from '../state/index.ts';

/** One entry of a scan: a decoded key and value. */
export interface StoreEntry<K, V> {
  key: K;
  value: V;
}

/** Where the committed state of each partition of a store ends in its changelog (undefined: none yet). */
export type CommittedPositions = (store: string, partition: number) => number | undefined;

/**
 * Read access to a running pipeline's named store, as of its last checkpoint (committed state only:
 * writes of steps not yet checkpointed are invisible, even under at-least-once). Each read first brings
 * a private replica of each partition it touches up to the checkpoint's changelog position (incremental
 * restore from the changelog), then reads it; so reads never block or see the tasks, wherever they run.
 * `get` reads the partition the key hashes to (murmur2 of the key's encoding, as records were routed);
 * scans read every partition and merge them in encoded-key order. Reads are serialised per partition;
 * `close` releases the replicas. A replica holds a copy of the committed state of its partition.
 */
export class QueryableStore<K = unknown, V = unknown> {
  readonly name: string;
  readonly partitions: number;
  /** How the store encodes keys (the HTTP API parses URL keys by it). */
  readonly keyKind: TopologyStore['keyFormat']['kind'];
  readonly #log: Log;
  readonly #spec: TopologyStore;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  readonly #committed: CommittedPositions;
  readonly #replicas = new Map<number, Promise<KeyValueStore<K, V>>>();
  /** Per partition, the last read queued: a read starts after the previous one finished. */
  readonly #queues = new Map<number, Promise<unknown>>();
  #closed = false;

  constructor(
    log: Log,
    spec: TopologyStore,
    serdes: { key: Serde<K>; value: Serde<V> },
    committed: CommittedPositions,
  ) {
    this.name = spec.name;
    this.#log = log;
    this.#spec = spec;
    this.#keySerde = serdes.key;
    this.#valueSerde = serdes.value;
    this.#committed = committed;
    this.partitions = log.topicConfig(spec.changelogTopic).partitions;
    this.keyKind = spec.keyFormat.kind;
  }

  /**
   * Runs `read` on the replica of `partition` once it is restored to the committed position, after the
   * partition's earlier reads (a restore must not run while another read looks at the replica).
   */
  #read<T>(partition: number, read: (store: KeyValueStore<K, V>) => T): Promise<T> {
    const previous = this.#queues.get(partition) ?? Promise.resolve();
    const next = previous.then(async () => read(await this.#replica(partition)));
    this.#queues.set(
      partition,
      next.catch(() => undefined),
    );
    return next;
  }

  async #replica(partition: number): Promise<KeyValueStore<K, V>> {
    if (this.#closed)
      throw new EngineError('STATE_STORE_CLOSED', `queryable store ${this.name} is closed`, {
        details: { store: this.name },
      });
    let replica = this.#replicas.get(partition);
    if (replica === undefined) {
      replica = createKeyValueStore<K, V>({
        name: this.name,
        keySerde: this.#keySerde,
        valueSerde: this.#valueSerde,
        changelog: { log: this.#log, topic: this.#spec.changelogTopic, partition },
      });
      this.#replicas.set(partition, replica);
    }
    const store = await replica;
    await store.restore({ upToOffset: this.#committed(this.name, partition) ?? 0 });
    return store;
  }

  /** Entries of one partition with `from <= key < to` (encoded order), as of the last checkpoint. */
  scanPartition(partition: number, from?: K, to?: K): Promise<StoreEntry<K, V>[]> {
    return this.#read(partition, (store) =>
      store.range(from, to).map((e) => ({ key: e.key, value: e.value })),
    );
  }

  /** The value of `key` in one partition (for keys that are not routed by their own hash). */
  getFrom(partition: number, key: K): Promise<V | undefined> {
    return this.#read(partition, (store) => store.get(key));
  }

  get(key: K): Promise<V | undefined> {
    const partition = partitionForKey(this.#keySerde.encode(key), this.partitions);
    return this.#read(partition, (store) => store.get(key));
  }

  /** Entries with `from <= key < to` (encoded order; a missing bound is open), at most `limit`. */
  async range(from?: K, to?: K, options: { limit?: number } = {}): Promise<StoreEntry<K, V>[]> {
    return this.#scan((store) => store.range(from, to, options), options.limit);
  }

  /** Entries whose encoded key starts with the encoding of `prefix`, at most `limit`. */
  async prefixScan(prefix: K, options: { limit?: number } = {}): Promise<StoreEntry<K, V>[]> {
    return this.#scan((store) => store.prefixScan(prefix, options), options.limit);
  }

  async #scan(
    read: (store: KeyValueStore<K, V>) => Array<{ key: K; value: V }>,
    limit: number | undefined,
  ): Promise<StoreEntry<K, V>[]> {
    const parts = await Promise.all(Array.from({ length: this.partitions }, (_, p) => this.#read(p, read)));
    const merged = parts
      .flat()
      .map((e) => ({ bytes: this.#keySerde.encode(e.key), entry: { key: e.key, value: e.value } }))
      .sort((a, b) => compareBytes(a.bytes, b.bytes))
      .map((x) => x.entry);
    return limit === undefined ? merged : merged.slice(0, Math.max(0, limit));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const replicas = [...this.#replicas.values()];
    this.#replicas.clear();
    await Promise.all(replicas.map(async (r) => (await r).close()));
  }
}
