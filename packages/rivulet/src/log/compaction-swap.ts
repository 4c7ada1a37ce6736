import { existsSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError, failpoint } from '../model/index.ts';
import { fsyncDirectory, writeFileAtomic } from './atomic-file.ts';
import { ioError } from './io-error.ts';
import { segmentName } from './segment.ts';

export const SWAP_MANIFEST = 'compaction.swap';
const SEGMENT_EXTS = ['log', 'index', 'timeindex', 'producers'] as const;

/** Which segments a compaction replaces and which cleaned segments take their place. */
export interface SwapManifest {
  replaced: number[];
  created: number[];
}

/**
 * Commits a compaction whose cleaned files (`<base>.<ext>.cleaned`) are complete and fsynced: writes the
 * manifest atomically (the commit point), then performs the swap. A crash before the manifest leaves the
 * old segments (recovery deletes the cleaned files); after it, recovery finishes the swap.
 */
export function commitCompactionSwap(dir: string, manifest: SwapManifest): void {
  writeFileAtomic(join(dir, SWAP_MANIFEST), JSON.stringify(manifest), 'log.compaction.manifest');
  performSwap(dir, manifest);
}

/** Called when a partition opens: completes a committed swap, or discards an uncommitted one. */
export function finishCompactionSwap(dir: string): void {
  const manifestPath = join(dir, SWAP_MANIFEST);
  if (existsSync(manifestPath)) {
    let manifest: SwapManifest;
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SwapManifest;
    } catch (error) {
      throw new EngineError('LOG_METADATA_CORRUPT', `cannot read ${manifestPath}`, {
        cause: error,
        details: { path: manifestPath },
      });
    }
    performSwap(dir, manifest);
    return;
  }
  for (const file of readdirSync(dir)) if (file.endsWith('.cleaned')) unlinkSync(join(dir, file));
}

/**
 * Idempotent: deletes replaced segments that are not also created ones, then for each created segment
 * whose cleaned files still exist, replaces the old files of that name with them. The `.index` goes last
 * so a segment never looks sealed with a stale index.
 */
function performSwap(dir: string, manifest: SwapManifest): void {
  const created = new Set(manifest.created);
  try {
    for (const base of manifest.replaced) {
      if (created.has(base)) continue;
      for (const ext of SEGMENT_EXTS) removeIfPresent(join(dir, `${segmentName(base)}.${ext}`));
      failpoint('log.compaction.after-delete');
    }
    for (const base of manifest.created) {
      const name = segmentName(base);
      const cleaned = (ext: string): string => join(dir, `${name}.${ext}.cleaned`);
      // The old index goes before any file is replaced and the new one comes last.
      if (existsSync(cleaned('log'))) removeIfPresent(join(dir, `${name}.index`));
      for (const ext of ['log', 'timeindex', 'producers', 'index']) {
        if (existsSync(cleaned(ext))) renameSync(cleaned(ext), join(dir, `${name}.${ext}`));
        failpoint('log.compaction.after-rename');
      }
    }
    fsyncDirectory(dir);
    unlinkSync(join(dir, SWAP_MANIFEST));
    fsyncDirectory(dir);
  } catch (error) {
    throw ioError(error, `compaction swap in ${dir}`);
  }
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
