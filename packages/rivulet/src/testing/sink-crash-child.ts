import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { SinkRecord, SinkWriter } from '../connector/index.ts';

/**
 * In a crash test's child process: SIGKILLs the process right before its `step`-th file-system step
 * (`open` or `rename` of node:fs/promises), so every step of a sink's commit can be hit. 0: never. Call
 * before importing the sink (the patched functions are what its module binds).
 */
export function crashAtFileSystemStep(step: number): void {
  if (!(step > 0)) return;
  const fsp = createRequire(import.meta.url)('node:fs/promises') as Record<
    string,
    (...args: unknown[]) => unknown
  >;
  let steps = 0;
  for (const name of ['open', 'rename']) {
    const original = fsp[name]!;
    fsp[name] = (...args: unknown[]) => {
      if (++steps === step) process.kill(process.pid, 'SIGKILL');
      return original(...args);
    };
  }
  syncBuiltinESMExports();
}

/**
 * Writes records 0..total-1 (`record(seq)`) through `writer` as the engine's delivery does: resuming from
 * `committed()`, in batches of `batch`, committing every `commitEvery` records; after each commit resolves
 * it prints that commit's positions as a JSON line on stdout (what the parent may count on), and `done`
 * at the end. See runCrashChild for the parent's side.
 */
export async function writeLikeDelivery(
  writer: SinkWriter,
  total: number,
  record: (seq: number) => SinkRecord,
  options: { batch?: number; commitEvery?: number } = {},
): Promise<void> {
  const batchSize = options.batch ?? 40;
  const commitEvery = options.commitEvery ?? 200;
  const committed = (await writer.committed()) ?? new Map<number, number>();
  const toWrite: number[] = [];
  for (let seq = 0; seq < total; seq++) {
    const r = record(seq);
    if (r.offset >= (committed.get(r.partition) ?? 0)) toWrite.push(seq);
  }
  const positions = new Map(committed);
  let sinceCommit = 0;
  for (let i = 0; i < toWrite.length; i += batchSize) {
    const batch = toWrite.slice(i, i + batchSize).map(record);
    await writer.write(batch);
    for (const r of batch) positions.set(r.partition, r.offset + 1);
    sinceCommit += batch.length;
    if (sinceCommit >= commitEvery || i + batchSize >= toWrite.length) {
      await writer.commit(positions);
      sinceCommit = 0;
      process.stdout.write(`${JSON.stringify([...positions])}\n`);
    }
  }
  await writer.close();
  process.stdout.write('done\n');
}
