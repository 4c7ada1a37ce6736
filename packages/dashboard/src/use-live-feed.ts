import { useEffect, useState } from 'preact/hooks';
import type { LiveSnapshot } from './api-types.ts';
import type { LiveData } from './live-context.ts';
import { LiveHistory } from './live-history.ts';
import { ReconnectingSocket, type SocketState } from './reconnecting-socket.ts';

/** Subscribes to WS /api/live for the lifetime of the calling component (reconnecting with backoff). */
export function useLiveFeed(): LiveData {
  const [history] = useState(() => new LiveHistory());
  const [snapshot, setSnapshot] = useState<LiveSnapshot | undefined>(undefined);
  const [version, setVersion] = useState(0);
  const [socket, setSocket] = useState<SocketState>('connecting');
  useEffect(() => {
    const live = new ReconnectingSocket({
      path: '/api/live',
      onState: setSocket,
      onMessage: (data) => {
        const message = data as Partial<LiveSnapshot>;
        if (message.type !== 'snapshot' || typeof message.time !== 'number') return;
        history.add(message as LiveSnapshot);
        setSnapshot(message as LiveSnapshot);
        setVersion((v) => v + 1);
      },
    });
    return () => live.close();
  }, [history]);
  return { snapshot, history, version, socket };
}
