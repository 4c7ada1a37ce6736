import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { EngineError } from '../model/index.ts';

/**
 * One process owns a data directory at a time. The lock file holds the owner's pid; a lock whose pid no
 * longer runs (the owner was killed) is taken over. Returns a release function.
 */
const heldHere = new Set<string>();

export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = resolve(dataDir, 'LOCK');
  if (heldHere.has(path)) {
    throw new EngineError('LOG_LOCKED', `data directory ${dataDir} is already open in this process`, {
      details: { dataDir, pid: process.pid },
    });
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(path);
      return () => {
        heldHere.delete(path);
        try {
          unlinkSync(path);
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processRuns(owner)) {
      throw new EngineError('LOG_LOCKED', `data directory ${dataDir} is in use by process ${owner}`, {
        details: { dataDir, pid: owner },
      });
    }
    unlinkSync(path);
  }
  throw new EngineError('LOG_LOCKED', `could not lock data directory ${dataDir}`, { details: { dataDir } });
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
