import type { Log } from '../../src/index.ts';

/**
 * A Nexmark query's rows read back from its output topic, up to each partition's committed offset:
 * every value (append), or the last value per key with deletions dropped and array values (q19's top
 * 10) flattened (upsert).
 */
export async function readQueryRows(
  log: Log,
  topic: string,
  output: 'append' | 'upsert',
): Promise<Array<Record<string, unknown>>> {
  const appended: Array<Record<string, unknown>> = [];
  const latest = new Map<string, unknown>();
  if (!log.hasTopic(topic)) return appended;
  for (let p = 0; p < log.topicConfig(topic).partitions; p++) {
    let offset = log.partition(topic, p).logStartOffset;
    const end = log.partition(topic, p).committedOffset;
    while (offset < end) {
      const { records, nextOffset } = await log.fetch(topic, p, offset, 1024 * 1024);
      for (const r of records) {
        if (r.offset >= end) break;
        const value = r.value === null ? null : JSON.parse(r.valueString()!);
        if (output === 'append') appended.push(value as Record<string, unknown>);
        else latest.set(`${p}:${r.keyString() ?? ''}`, value);
      }
      offset = nextOffset;
    }
  }
  if (output === 'append') return appended;
  const rows: Array<Record<string, unknown>> = [];
  for (const value of latest.values()) {
    if (value === null) continue;
    if (Array.isArray(value)) rows.push(...(value as Array<Record<string, unknown>>));
    else rows.push(value as Record<string, unknown>);
  }
  return rows;
}
