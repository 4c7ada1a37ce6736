import { useEffect, useState } from 'preact/hooks';
import type { WireRecord } from './api-types.ts';
import { segment } from './fetch-json.ts';
import { ReconnectingSocket, type SocketState } from './reconnecting-socket.ts';
import type { ShownRecord } from './shown-record.ts';

export interface Tail {
  /** Newest first, at most `keep`. */
  records: ShownRecord[];
  socket: SocketState;
}

/**
 * Tails the given topics over WS /api/topics/:t/tail (one socket per topic, reconnecting with backoff)
 * and keeps the newest `keep` records of all of them. A reconnect resumes from `from` again, so records
 * already kept are not added twice (deduplicated by topic/partition/offset).
 */
export function useTail(topics: readonly string[], from: 'latest' | 'earliest', keep = 200): Tail {
  const [records, setRecords] = useState<ShownRecord[]>([]);
  const [socket, setSocket] = useState<SocketState>('connecting');
  const topicsKey = JSON.stringify(topics);
  useEffect(() => {
    setRecords([]);
    const sockets = topics.map(
      (topic) =>
        new ReconnectingSocket({
          path: `/api/topics/${segment(topic)}/tail?from=${from}`,
          onState: setSocket,
          onMessage: (data) => {
            const message = data as Partial<WireRecord> & { type?: string };
            if (message.type !== 'record' || typeof message.offset !== 'number') return;
            const record: ShownRecord = {
              topic,
              partition: message.partition ?? 0,
              offset: message.offset,
              timestamp: message.timestamp ?? 0,
              key: message.key ?? null,
              value: message.value ?? null,
              headers: message.headers,
            };
            setRecords((list) =>
              list.some(
                (r) => r.topic === topic && r.partition === record.partition && r.offset === record.offset,
              )
                ? list
                : [record, ...list].sort((a, b) => b.timestamp - a.timestamp).slice(0, keep),
            );
          },
        }),
    );
    return () => {
      for (const s of sockets) s.close();
    };
  }, [topicsKey, from, keep]);
  return { records, socket };
}
