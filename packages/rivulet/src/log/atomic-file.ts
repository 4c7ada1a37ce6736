import { closeSync, fdatasyncSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import { failpoint } from '../model/index.ts';
import { ioError } from './io-error.ts';

/** fsyncs a directory so that entries created, renamed or removed in it survive a power loss. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    throw ioError(error, `fsync of directory ${dir}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replaces `path` with `data` atomically: write a temp file, fdatasync it, rename over the target, fsync
 * the directory. After a crash at any step a reader sees either the old content or the new, never a mix.
 * `failpointName` names the steps for fault tests (`<name>.before-rename`, `<name>.after-rename`).
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, failpointName?: string): void {
  const temp = `${path}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'w');
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fdatasyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (failpointName !== undefined) failpoint(`${failpointName}.before-rename`);
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    throw ioError(error, `atomic write of ${path}`);
  }
  fsyncDirectory(dirname(path));
  if (failpointName !== undefined) failpoint(`${failpointName}.after-rename`);
}

/** The same contract as `writeFileAtomic`, without blocking the event loop. */
export async function writeFileAtomicAsync(
  path: string,
  data: Uint8Array | string,
  failpointName?: string,
): Promise<void> {
  const temp = `${path}.tmp`;
  try {
    const handle = await fsp.open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    if (failpointName !== undefined) failpoint(`${failpointName}.before-rename`);
    await fsp.rename(temp, path);
    const dir = await fsp.open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (error) {
    throw ioError(error, `atomic write of ${path}`);
  }
  if (failpointName !== undefined) failpoint(`${failpointName}.after-rename`);
}
