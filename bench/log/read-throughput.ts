import type { ThroughputSample } from './append-throughput.ts';
import type { BenchLog } from './bench-log.ts';

/**
 * Reads partition 0 of the bench log from offset 0 to its high watermark with `log.fetch` (default 1 MiB
 * per fetch), touching every record: it sums `valueSize` (a field read, no Buffer view made). The data
 * was just written, so this measures decoding from the page cache (CRC check, batch decode, one
 * LogRecord per record), not the disk.
 */
export async function measureFetchRead(bench: BenchLog, recordBytes: number): Promise<ThroughputSample> {
  const { log, topic } = bench;
  const partition = log.partition(topic, 0);
  const end = partition.highWatermark;
  let offset = 0;
  let records = 0;
  let bytes = 0;
  const start = performance.now();
  while (offset < end) {
    const result = await log.fetch(topic, 0, offset);
    const list = result.records;
    for (let i = 0; i < list.length; i++) bytes += list[i]!.valueSize;
    records += list.length;
    offset = result.nextOffset;
  }
  const seconds = (performance.now() - start) / 1000;
  if (bytes !== records * recordBytes) throw new Error(`read ${bytes} payload bytes for ${records} records`);
  return { records, payloadBytes: bytes, seconds };
}

/** The same read through `log.createConsumer({ from: 'earliest' })` and `poll()` (no group). */
export async function measureConsumerRead(bench: BenchLog, recordBytes: number): Promise<ThroughputSample> {
  const { log, topic } = bench;
  const end = log.partition(topic, 0).highWatermark;
  const consumer = log.createConsumer({ topics: [topic], from: 'earliest', maxWaitMs: 0 });
  let records = 0;
  let bytes = 0;
  const start = performance.now();
  try {
    while (records < end) {
      const batches = await consumer.poll();
      if (batches.length === 0) throw new Error(`consumer stopped at ${records} of ${end} records`);
      for (const batch of batches) {
        const list = batch.records;
        for (let i = 0; i < list.length; i++) bytes += list[i]!.valueSize;
        records += list.length;
      }
    }
  } finally {
    consumer.close();
  }
  const seconds = (performance.now() - start) / 1000;
  if (bytes !== records * recordBytes) throw new Error(`read ${bytes} payload bytes for ${records} records`);
  return { records, payloadBytes: bytes, seconds };
}
