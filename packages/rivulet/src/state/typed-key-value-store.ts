import type { Serde } from '../model/index.ts';
import { prefixUpperBound } from './byte-order.ts';
import type { FlushResult } from './bytes-store.ts';
import type { KeyValueEntry } from './key-value-backend.ts';
import { KeyValue, type KeyValueStore, type RangeOptions } from './key-value-store.ts';
import type { MeteredStore, StoreMetrics } from './metered-store.ts';
import type { RestoreOptions, RestoreResult } from './restore-result.ts';

/** The typed face of a store stack: encodes keys and values with the serdes and delegates to the bytes. */
export class TypedKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  readonly #bytes: MeteredStore;

  constructor(bytes: MeteredStore, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.name = bytes.name;
    this.#bytes = bytes;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
  }

  get position(): number | undefined {
    return this.#bytes.position;
  }

  get(key: K): V | undefined {
    const value = this.#bytes.get(this.#keySerde.encode(key));
    return value === undefined ? undefined : this.#valueSerde.decode(value);
  }

  put(key: K, value: V): void {
    this.#bytes.put(this.#keySerde.encode(key), this.#valueSerde.encode(value));
  }

  delete(key: K): void {
    this.#bytes.delete(this.#keySerde.encode(key));
  }

  range(from?: K, to?: K, options?: RangeOptions): KeyValue<K, V>[] {
    return this.#decode(
      this.#bytes.range(
        from === undefined ? undefined : this.#keySerde.encode(from),
        to === undefined ? undefined : this.#keySerde.encode(to),
        options,
      ),
    );
  }

  prefixScan(prefix: K, options?: RangeOptions): KeyValue<K, V>[] {
    const encoded = this.#keySerde.encode(prefix);
    return this.#decode(this.#bytes.range(encoded, prefixUpperBound(encoded), options));
  }

  #decode(entries: KeyValueEntry[]): KeyValue<K, V>[] {
    const out = new Array<KeyValue<K, V>>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      out[i] = new KeyValue(this.#keySerde.decode(entry.key), this.#valueSerde.decode(entry.value));
    }
    return out;
  }

  approximateCount(): number {
    return this.#bytes.approximateCount();
  }

  flush(): Promise<FlushResult> {
    return this.#bytes.flush();
  }

  restore(options: RestoreOptions): Promise<RestoreResult> {
    return this.#bytes.restore(options);
  }

  metrics(): StoreMetrics {
    return this.#bytes.metrics();
  }

  close(): Promise<void> {
    return this.#bytes.close();
  }
}
