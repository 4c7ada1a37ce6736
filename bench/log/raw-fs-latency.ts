import type { LatencySample } from './append-latency.ts';
import { RawFsWriter } from './raw-fs-writer.ts';
import { payload } from './record-fixtures.ts';

/**
 * The physical floor of one durable record: a single writer loops { async fs.write of `recordBytes` at
 * the end of a new file; fdatasync } and times each pair with performance.now(). Same warm-up and window
 * rules as measureAppendLatency; the file is deleted after.
 */
export async function measureRawFsLatency(
  recordBytes: number,
  warmupMs: number,
  measureMs: number,
): Promise<LatencySample> {
  const record = payload(recordBytes);
  const samples: number[] = [];
  const writer = await RawFsWriter.open();
  try {
    const measureFrom = performance.now() + warmupMs;
    const end = measureFrom + measureMs;
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) break;
      await writer.append(record, record.length, true);
      const t1 = performance.now();
      if (t0 >= measureFrom) samples.push((t1 - t0) * 1000);
    }
  } finally {
    await writer.close();
  }
  return { sortedUs: Float64Array.from(samples).sort(), windowMs: measureMs };
}
