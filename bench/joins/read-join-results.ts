import type { Log } from '../../packages/rivulet/src/index.ts';
import { type AdMatch, pairWeight } from './stream-stream-pipeline.ts';
import type { JoinedOrder } from './stream-table-pipeline.ts';

const READ_BYTES = 1024 * 1024;

/** Counts the join results in `topic` (all of it, after the run stopped) and adds up their amounts. */
export async function readJoinResults(
  log: Log,
  topic: string,
): Promise<{ results: number; amountSum: number }> {
  let results = 0;
  let amountSum = 0;
  if (!log.hasTopic(topic)) return { results, amountSum };
  for (let p = 0; p < log.topicConfig(topic).partitions; p++) {
    let offset = log.partition(topic, p).logStartOffset;
    const end = log.partition(topic, p).highWatermark;
    while (offset < end) {
      const { records, nextOffset } = await log.fetch(topic, p, offset, READ_BYTES);
      for (const r of records) {
        results++;
        amountSum += (JSON.parse(r.valueString()!) as JoinedOrder).amount;
      }
      offset = nextOffset;
    }
  }
  return { results, amountSum };
}

/** Counts the stream-stream pairs in `topic` (all of it, after the run stopped) and adds up pairWeight. */
export async function readMatchResults(
  log: Log,
  topic: string,
): Promise<{ pairs: number; checksum: number }> {
  let pairs = 0;
  let checksum = 0;
  if (!log.hasTopic(topic)) return { pairs, checksum };
  for (let p = 0; p < log.topicConfig(topic).partitions; p++) {
    let offset = log.partition(topic, p).logStartOffset;
    const end = log.partition(topic, p).highWatermark;
    while (offset < end) {
      const { records, nextOffset } = await log.fetch(topic, p, offset, READ_BYTES);
      for (const r of records) {
        const match = JSON.parse(r.valueString()!) as AdMatch;
        pairs++;
        checksum += pairWeight(match.imp, match.click);
      }
      offset = nextOffset;
    }
  }
  return { pairs, checksum };
}
