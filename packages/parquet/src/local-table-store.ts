import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory } from './durable-file.ts';
import { SinkManifest } from './sink-manifest.ts';
import type { TableFile, TableStore } from './table-store.ts';

/**
 * A table in a local directory. A commit writes every file as `.<final name>.tmp` and fsyncs it, then
 * replaces the manifest atomically (the commit point), then renames the temp files to their final names;
 * `recover` rolls the last commit forward and removes other temp files of this sink (see sink-manifest.ts).
 * File-system errors reject as they are (the sink maps them to EngineErrors).
 */
export class LocalTableStore implements TableStore {
  readonly location: string;
  private readonly manifest: SinkManifest;
  /** Directories known to exist (created and fsynced into their parents by this writer or found). */
  private readonly knownDirs = new Set<string>();
  /** Directories where the last commit renamed files: fsynced by the next commit before its manifest. */
  private readonly renamedDirs = new Set<string>();

  constructor(
    private readonly dir: string,
    base: string,
  ) {
    this.location = dir;
    this.manifest = new SinkManifest(dir, base);
  }

  fileName(partition: number, first: number, last: number): string {
    return this.manifest.names.name(partition, first, last);
  }

  async recover(): Promise<Map<number, number>> {
    await mkdir(this.dir, { recursive: true });
    return this.manifest.recover();
  }

  async commit(files: readonly TableFile[], positions: ReadonlyMap<number, number>): Promise<void> {
    const written: Array<{ dir: string; relative: string; temp: string; final: string; data: Uint8Array }> =
      [];
    for (const file of files) {
      const dir = join(this.dir, file.dir);
      await this.ensureDir(file.dir);
      written.push({
        dir,
        relative: file.dir === '' ? file.name : `${file.dir}/${file.name}`,
        temp: join(dir, `.${file.name}.tmp`),
        final: join(dir, file.name),
        data: file.data,
      });
    }
    const dirs = new Set(written.map((w) => w.dir));
    // Everything the manifest depends on becomes durable together (one round of concurrent syncs): the
    // temp files' data and directory entries, the manifest's temp file, and the previous commit's renames
    // (only the last commit's renames may be undurable: the manifest naming them lets open redo them).
    const opened = await Promise.allSettled(written.map((w) => open(w.temp, 'w')));
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed !== undefined) {
      for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
      throw failed.reason;
    }
    const handles = opened.map((o) => (o as PromiseFulfilledResult<Awaited<ReturnType<typeof open>>>).value);
    await Promise.all([
      ...written.map(async (w, i) => {
        const handle = handles[i]!;
        try {
          let at = 0;
          while (at < w.data.byteLength) at += (await handle.write(w.data, at)).bytesWritten;
          await handle.datasync();
        } finally {
          await handle.close();
        }
      }),
      ...[...dirs].map(fsyncDirectory),
      ...[...this.renamedDirs].filter((d) => !dirs.has(d)).map(fsyncDirectory),
      this.manifest.writeTemp({ positions: new Map(positions), files: written.map((w) => w.relative) }),
    ]);
    this.renamedDirs.clear();
    await this.manifest.publish(); // the commit point
    for (const w of written) await rename(w.temp, w.final);
    for (const dir of dirs) this.renamedDirs.add(dir);
  }

  /** mkdir -p, fsyncing each parent whose entry was new, once per directory per writer. */
  private async ensureDir(relative: string): Promise<void> {
    if (relative === '' || this.knownDirs.has(relative)) return;
    let parent = this.dir;
    for (const part of relative.split('/')) {
      const dir = join(parent, part);
      const created = await mkdir(dir, { recursive: true });
      if (created !== undefined) await fsyncDirectory(parent);
      parent = dir;
    }
    this.knownDirs.add(relative);
  }
}
