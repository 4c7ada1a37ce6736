import type { FetchedRecords, TopicDetail } from './api-types.ts';
import { fetchJson, segment } from './fetch-json.ts';
import type { ShownRecord } from './shown-record.ts';

/**
 * The last `perPartition` records of each partition of `topic` (GET /api/topics/:t, then one fetch per
 * partition from max(logStartOffset, highWatermark - perPartition)), newest first by timestamp then
 * offset.
 */
export async function recentRecords(
  topic: string,
  perPartition = 50,
  signal?: AbortSignal,
): Promise<ShownRecord[]> {
  const detail = await fetchJson<TopicDetail>(`/api/topics/${segment(topic)}`, signal);
  const lists = await Promise.all(
    detail.partitions.map(async (p) => {
      const offset = Math.max(p.logStartOffset, p.highWatermark - perPartition);
      if (offset >= p.highWatermark) return [];
      const page = await fetchJson<FetchedRecords>(
        `/api/topics/${segment(topic)}/partitions/${p.partition}/records?offset=${offset}&limit=${perPartition}`,
        signal,
      );
      return page.records.map(
        (r): ShownRecord => ({
          topic,
          partition: p.partition,
          offset: r.offset,
          timestamp: r.timestamp,
          key: r.key,
          value: r.value,
          headers: r.headers,
        }),
      );
    }),
  );
  return lists.flat().sort((a, b) => b.timestamp - a.timestamp || b.offset - a.offset);
}
