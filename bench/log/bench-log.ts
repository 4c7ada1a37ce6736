import { createLog, type DurabilityOptions, type Log } from '../../packages/rivulet/src/log/index.ts';
import { makeTempDir } from '../temp-dir.ts';

/** A fresh log in its own temp dir with one single-partition topic; `close()` also deletes the data. */
export interface BenchLog {
  log: Log;
  topic: string;
  close(): Promise<void>;
}

/**
 * Opens a log with the product defaults (128 MiB segments, no compression) except that background
 * maintenance is off, so nothing but the measured work touches the disk.
 */
export async function openBenchLog(durability: DurabilityOptions): Promise<BenchLog> {
  const dir = makeTempDir('log');
  try {
    const log = await createLog({ dataDir: dir.path, durability, maintenanceInterval: false });
    const topic = 'bench';
    await log.createTopic(topic, { partitions: 1, durability });
    return {
      log,
      topic,
      close: async () => {
        try {
          await log.close();
        } finally {
          dir.remove();
        }
      },
    };
  } catch (error) {
    dir.remove();
    throw error;
  }
}
