import { socketProtocols } from './auth-token.ts';

export type SocketState = 'connecting' | 'open' | 'closed';

export interface ReconnectingSocketOptions {
  /** Same-origin path, e.g. `/api/live`; the ws:/wss: scheme follows the page's. */
  path: string;
  onMessage(data: unknown): void;
  onState?(state: SocketState): void;
  /** First retry delay (doubles per failed attempt up to maxDelayMs; reset once a connection opens). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * A WebSocket to the dashboard's own server that reconnects with exponential backoff until `close()`.
 * Messages that are not JSON are dropped. After `close()` no callback fires any more.
 */
export class ReconnectingSocket {
  readonly #options: ReconnectingSocketOptions;
  #socket: WebSocket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #delay: number;
  #closed = false;

  constructor(options: ReconnectingSocketOptions) {
    this.#options = options;
    this.#delay = options.minDelayMs ?? 500;
    this.#connect();
  }

  #connect(): void {
    if (this.#closed) return;
    this.#options.onState?.('connecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${location.host}${this.#options.path}`;
    // The token, if any, rides as a subprotocol (a browser WebSocket cannot send headers).
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, socketProtocols());
    } catch {
      socket = new WebSocket(url); // a token with characters a subprotocol cannot hold
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (this.#closed) return;
      this.#delay = this.#options.minDelayMs ?? 500;
      this.#options.onState?.('open');
    };
    socket.onmessage = (event) => {
      if (this.#closed || typeof event.data !== 'string') return;
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      this.#options.onMessage(data);
    };
    socket.onclose = () => {
      if (this.#closed || this.#socket !== socket) return;
      this.#options.onState?.('closed');
      this.#timer = setTimeout(() => this.#connect(), this.#delay);
      this.#delay = Math.min(this.#delay * 2, this.#options.maxDelayMs ?? 10_000);
    };
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.close();
  }
}
