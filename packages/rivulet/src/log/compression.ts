import * as zlib from 'node:zlib';
import { gunzipSync, gzipSync } from 'node:zlib';
import { EngineError } from '../model/index.ts';

/**
 * Batch compression codecs, identified by the low 3 bits of the batch attributes (Kafka's numbering).
 * gzip always works; zstd works where node:zlib has it (Node >= 22.15) and is refused elsewhere with
 * UNSUPPORTED_COMPRESSION, both when writing and when reading such a batch.
 */
export type Compression = 'none' | 'gzip' | 'zstd';

export const compressionIds: ReadonlyMap<Compression, number> = new Map([
  ['none', 0],
  ['gzip', 1],
  ['zstd', 4],
]);

type Codec = (input: Uint8Array) => Buffer;
const zstdCompress = (zlib as unknown as { zstdCompressSync?: Codec }).zstdCompressSync;
const zstdDecompress = (zlib as unknown as { zstdDecompressSync?: Codec }).zstdDecompressSync;

export function compressionSupported(codec: Compression): boolean {
  return codec !== 'zstd' || (zstdCompress !== undefined && zstdDecompress !== undefined);
}

export function compress(codec: number, input: Uint8Array): Buffer {
  if (codec === 1) return gzipSync(input, { level: 1 });
  if (codec === 4 && zstdCompress !== undefined) return zstdCompress(input);
  throw new EngineError(
    'UNSUPPORTED_COMPRESSION',
    `compression codec ${codec} is not available on Node ${process.version}`,
  );
}

export function decompress(codec: number, input: Uint8Array): Buffer {
  if (codec === 1) return gunzipSync(input);
  if (codec === 4 && zstdDecompress !== undefined) return zstdDecompress(input);
  throw new EngineError(
    'UNSUPPORTED_COMPRESSION',
    `cannot decode compression codec ${codec} on Node ${process.version}`,
  );
}
