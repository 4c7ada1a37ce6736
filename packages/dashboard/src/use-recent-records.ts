import { useEffect, useState } from 'preact/hooks';
import { recentRecords } from './recent-records.ts';
import type { ShownRecord } from './shown-record.ts';

/**
 * The recent records of several topics (recent-records.ts), fetched again every `refreshMs`; newest
 * first. Keeps the previous list while refetching; `error` is the last fetch's failure, if any.
 */
export function useRecentRecords(
  topics: readonly string[],
  refreshMs = 2000,
): { records: ShownRecord[]; error: Error | undefined } {
  const [records, setRecords] = useState<ShownRecord[]>([]);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const topicsKey = JSON.stringify(topics);
  useEffect(() => {
    const controller = new AbortController();
    Promise.all(topics.map((t) => recentRecords(t, 50, controller.signal))).then(
      (lists) => {
        setRecords(lists.flat().sort((a, b) => b.timestamp - a.timestamp || b.offset - a.offset));
        setError(undefined);
      },
      (e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      },
    );
    const timer = setTimeout(() => setTick((t) => t + 1), refreshMs);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [topicsKey, refreshMs, tick]);
  return { records, error };
}
