import type { BenchLog } from './bench-log.ts';
import { encodableRecords, payload, producerRecords } from './record-fixtures.ts';

/** Which API writes: `append` = log.append (pre-normalised records), `send` = producer.send (public). */
export type AppendPath = 'append' | 'send';

export interface AppendThroughputOptions {
  path: AppendPath;
  recordBytes: number;
  /** Records written in total. */
  records: number;
  /** Records per append/send call (one batch on disk, unless the log splits it at 8 MiB). */
  recordsPerCall: number;
  /**
   * Calls in flight at once. 1 = call, await the acknowledgement, call again: under `fsync` every call
   * is then exactly one writev + one fdatasync, the same chunking as the raw floor.
   */
  depth: number;
}

export interface ThroughputSample {
  records: number;
  payloadBytes: number;
  seconds: number;
}

/**
 * Appends `records` records of `recordBytes` to partition 0 of the bench log and times from the first
 * call to the last acknowledgement (acknowledged = written under `none`/`interval`, fdatasynced under
 * `fsync`). Records carry a fixed payload and no key; the producer path uses an idempotent producer.
 */
export async function measureAppendThroughput(
  bench: BenchLog,
  options: AppendThroughputOptions,
): Promise<ThroughputSample> {
  const { log, topic } = bench;
  const value = payload(options.recordBytes);
  const perCall = options.recordsPerCall;
  let call: (count: number) => Promise<unknown>;
  if (options.path === 'append') {
    const full = encodableRecords(value, perCall);
    call = (count) => log.append(topic, 0, count === perCall ? full : full.slice(0, count));
  } else {
    const producer = log.createProducer({ idempotent: true });
    const full = producerRecords(value, perCall);
    call = (count) => producer.send(topic, count === perCall ? full : full.slice(0, count));
  }
  let issued = 0;
  const lane = async (): Promise<void> => {
    while (issued < options.records) {
      const count = Math.min(perCall, options.records - issued);
      issued += count;
      await call(count);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: options.depth }, lane));
  const seconds = (performance.now() - start) / 1000;
  return { records: options.records, payloadBytes: options.records * options.recordBytes, seconds };
}
