import type { Serde } from '../model/index.ts';
import type { KeyValueEntry } from './key-value-backend.ts';
import { KeyValue } from './key-value-store.ts';

/** Decodes scanned byte entries into typed ones, in the same order (serde errors propagate). */
export function decodeEntries<K, V>(
  entries: readonly KeyValueEntry[],
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
): KeyValue<K, V>[] {
  const out = new Array<KeyValue<K, V>>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    out[i] = new KeyValue(keySerde.decode(entry.key), valueSerde.decode(entry.value));
  }
  return out;
}
