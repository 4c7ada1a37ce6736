import type { ThroughputSample } from './append-throughput.ts';
import { RawFsWriter } from './raw-fs-writer.ts';
import { payload } from './record-fixtures.ts';

export interface RawFsThroughputOptions {
  /** Bytes per write: the payload of one log append call (records per call x record bytes). */
  chunkBytes: number;
  /** Total bytes written (the same payload the log case writes). */
  totalBytes: number;
  /** fdatasync after every chunk, or never. */
  sync: boolean;
}

/**
 * A physical floor: one writer appends `chunkBytes` of random bytes at a time to a new file (RawFsWriter),
 * timed from the first write to the last completion; the file is deleted after.
 */
export async function measureRawFsThroughput(options: RawFsThroughputOptions): Promise<ThroughputSample> {
  const chunk = payload(options.chunkBytes);
  const writer = await RawFsWriter.open();
  try {
    const start = performance.now();
    while (writer.size < options.totalBytes) {
      await writer.append(chunk, Math.min(chunk.length, options.totalBytes - writer.size), options.sync);
    }
    const seconds = (performance.now() - start) / 1000;
    return { records: 0, payloadBytes: writer.size, seconds };
  } finally {
    await writer.close();
  }
}
