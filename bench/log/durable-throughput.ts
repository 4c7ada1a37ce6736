import type { ThroughputSample } from './append-throughput.ts';
import { openBenchLog } from './bench-log.ts';
import { RawFsWriter } from './raw-fs-writer.ts';
import { encodableRecords, payload, producerRecords } from './record-fixtures.ts';

export interface DurableThroughputSamples {
  /** Raw write + fdatasync of each call's payload. */
  raw: ThroughputSample;
  /** log.append of the call's records under `fsync`, awaited. */
  append: ThroughputSample;
  /** producer.send of the call's records under `fsync` (idempotent producer), awaited. */
  send: ThroughputSample;
}

/**
 * Durable throughput against its physical floor, paired call by call so that all three see the same
 * moments of a shared, noisy disk: each round does, in turn (the order rotates every round), one raw
 * write + fdatasync of `recordsPerCall * recordBytes` payload bytes, one awaited `log.append` of that
 * many records and one awaited `producer.send` of them (each to its own file / fresh log, `fsync`). Every
 * call is therefore exactly one write and one fdatasync for all three. Each side's MB/s is its payload
 * over the sum of its own call times.
 */
export async function measureDurableThroughput(
  recordBytes: number,
  recordsPerCall: number,
  calls: number,
): Promise<DurableThroughputSamples> {
  const value = payload(recordBytes);
  const chunk = payload(recordsPerCall * recordBytes);
  const encodable = encodableRecords(value, recordsPerCall);
  const userRecords = producerRecords(value, recordsPerCall);
  const raw = await RawFsWriter.open();
  const appendLog = await openBenchLog('fsync');
  const sendLog = await openBenchLog('fsync');
  try {
    const producer = sendLog.log.createProducer({ idempotent: true });
    const steps: Array<() => Promise<unknown>> = [
      () => raw.append(chunk, chunk.length, true),
      () => appendLog.log.append(appendLog.topic, 0, encodable),
      () => producer.send(sendLog.topic, userRecords),
    ];
    const spent = [0, 0, 0];
    for (let round = 0; round < calls; round++) {
      for (let k = 0; k < steps.length; k++) {
        const which = (round + k) % steps.length;
        const t0 = performance.now();
        await steps[which]!();
        spent[which]! += performance.now() - t0;
      }
    }
    const sample = (ms: number): ThroughputSample => ({
      records: calls * recordsPerCall,
      payloadBytes: calls * recordsPerCall * recordBytes,
      seconds: ms / 1000,
    });
    return { raw: { ...sample(spent[0]!), records: 0 }, append: sample(spent[1]!), send: sample(spent[2]!) };
  } finally {
    await raw.close();
    await appendLog.close();
    await sendLog.close();
  }
}
