import { randomBytes } from 'node:crypto';
import type { ProducerRecord } from '../../packages/rivulet/src/index.ts';
import type { EncodableRecord } from '../../packages/rivulet/src/log/index.ts';

/**
 * The records every log case writes: a value of exactly `bytes` random bytes, no key, no headers. The
 * payload (value bytes) is what "MB/s" counts in every case, baselines included; the log's own framing
 * (57-byte batch header, ~7 bytes per record) is overhead it pays on top.
 */
export interface RecordSize {
  label: string;
  bytes: number;
}

export const RECORD_100B: RecordSize = { label: '100B', bytes: 100 };
export const RECORD_1KIB: RecordSize = { label: '1KiB', bytes: 1024 };
export const RECORD_SIZES: readonly RecordSize[] = [RECORD_100B, RECORD_1KIB];

/** Random (incompressible) payload bytes, shared by all records of a case. */
export function payload(bytes: number): Buffer {
  return randomBytes(bytes);
}

/** `count` already-normalised records for `log.append` (the low-level path, no per-record checks). */
export function encodableRecords(value: Buffer, count: number): EncodableRecord[] {
  const timestamp = Date.now();
  return Array.from({ length: count }, () => ({ key: null, value, headers: undefined, timestamp }));
}

/** `count` user-shaped records for `producer.send` (the public path, normalised per record). */
export function producerRecords(value: Buffer, count: number): ProducerRecord[] {
  return Array.from({ length: count }, () => ({ value }));
}
