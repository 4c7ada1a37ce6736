import { open } from 'node:fs/promises';

/**
 * Durable file steps on a local file system. Each resolves only once the data or the directory entry is
 * on disk (fsync / fdatasync), so a crash at any point leaves either the old or the new state. Errors
 * (EIO, ENOSPC, EFBIG) reject as they are; the caller maps them to an EngineError.
 */

/** Creates (or replaces) `path` with `data` and fsyncs the file; the directory entry is not yet durable. */
export async function writeFileDurably(path: string, data: Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    let written = 0;
    while (written < data.byteLength) {
      const { bytesWritten } = await handle.write(data, written, data.byteLength - written);
      written += bytesWritten;
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a directory so that the entries created, renamed or removed in it survive a crash. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
