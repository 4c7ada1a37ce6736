/**
 * What a backend's meta value says: the backend holds exactly the changelog `topic`/`partition` up to
 * (excluding) `offset`. Written by flush and restore in the same atomic step as the entries
 * (KeyValueBackend.apply), so it never claims more than the backend holds.
 */
export interface StorePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

const VERSION = 1;

export function encodeStorePosition(position: StorePosition): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      v: VERSION,
      topic: position.topic,
      partition: position.partition,
      offset: position.offset,
    }),
    'utf8',
  );
}

/** The position in `meta`, or undefined when there is none or it cannot be read (treated as unknown). */
export function decodeStorePosition(meta: Uint8Array | undefined): StorePosition | undefined {
  if (meta === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(meta.buffer, meta.byteOffset, meta.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { v, topic, partition, offset } = parsed as Record<string, unknown>;
  if (v !== VERSION || typeof topic !== 'string') return undefined;
  if (typeof partition !== 'number' || !Number.isSafeInteger(partition) || partition < 0) return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return { topic, partition, offset };
}
