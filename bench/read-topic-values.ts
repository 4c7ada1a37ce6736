import type { Log } from '../packages/rivulet/src/index.ts';

const READ_BYTES = 1024 * 1024;

/**
 * Calls `visit` with every record value of `topic` parsed as JSON, partition by partition in offset
 * order, from the log start to the high watermark as of the call (a topic that does not exist has none).
 * For reading a case's results back after its run, untimed.
 */
export async function forEachJsonValue(
  log: Log,
  topic: string,
  visit: (value: unknown) => void,
): Promise<void> {
  if (!log.hasTopic(topic)) return;
  for (let p = 0; p < log.topicConfig(topic).partitions; p++) {
    let offset = log.partition(topic, p).logStartOffset;
    const end = log.partition(topic, p).highWatermark;
    while (offset < end) {
      const { records, nextOffset } = await log.fetch(topic, p, offset, READ_BYTES);
      for (const r of records) visit(JSON.parse(r.valueString()!));
      offset = nextOffset;
    }
  }
}
