import type { Log } from '../../src/log/index.ts';

/** One record as read back, in plain values (LogRecord views are not kept). */
export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

export interface ReadPartition {
  logStartOffset: number;
  highWatermark: number;
  records: ReadRecord[];
  /** Where reading stopped: equals `highWatermark` unless fetch stopped making progress. */
  endOffset: number;
}

/**
 * Reads a partition from its log start offset to its high watermark with plain `fetch` calls (small
 * `maxBytes`, so reads cross batch and segment boundaries often). Does not judge what it reads.
 */
export async function readPartition(
  log: Log,
  topic: string,
  partition: number,
  maxBytes = 16 * 1024,
): Promise<ReadPartition> {
  const description = log.describeTopic(topic).partitions[partition];
  if (description === undefined) throw new Error(`${topic} has no partition ${partition}`);
  const records: ReadRecord[] = [];
  let offset = description.logStartOffset;
  while (offset < description.highWatermark) {
    const fetched = await log.fetch(topic, partition, offset, maxBytes);
    for (const record of fetched.records) {
      records.push({
        offset: record.offset,
        key: record.keyString(),
        value: record.valueString(),
        timestamp: record.timestamp,
      });
    }
    if (fetched.nextOffset <= offset) break;
    offset = fetched.nextOffset;
  }
  return {
    logStartOffset: description.logStartOffset,
    highWatermark: description.highWatermark,
    records,
    endOffset: offset,
  };
}
