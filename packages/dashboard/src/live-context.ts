import { createContext } from 'preact';
import type { LiveSnapshot } from './api-types.ts';
import type { LiveHistory } from './live-history.ts';
import type { SocketState } from './reconnecting-socket.ts';

/** The latest /api/live snapshot, the rate history built from them, and the socket's state. */
export interface LiveData {
  snapshot: LiveSnapshot | undefined;
  history: LiveHistory;
  /** Bumped on every snapshot so that consumers re-render (the history is mutated in place). */
  version: number;
  socket: SocketState;
}

export const LiveContext = createContext<LiveData | undefined>(undefined);
