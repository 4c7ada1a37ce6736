import {
  type ConnectorRecord,
  EngineError,
  PollWaiter,
  type SourceBatch,
  type SourceReader,
} from 'rivulet/connector';
import WebSocket, { type RawData } from 'ws';
import { WEBSOCKET, type WebSocketSourceConfig } from './websocket-source.ts';

const URL_HEADER = 'rivulet.source.url';
const NEWLINE = 0x0a;

function toBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * One WebSocket being tailed. Ownership: owns its socket (and each replacement after a reconnect).
 * Blocking: `poll` waits for messages; once `maxBuffered` records wait the socket is paused, so the
 * server (over TCP) holds the rest. Ordering: records come out in the order the server sent them.
 * Failure: the first connection failing rejects `open` (CONNECTOR_UNAVAILABLE; CONNECTOR_FAILED not
 * retryable for a 4xx upgrade answer); later losses are retried inside with backoff, never surfaced.
 */
export class WebSocketSourceReader implements SourceReader {
  private records: ConnectorRecord[] = [];
  private positions: string[] = [];
  private head = 0;
  /** The position of the last record received (buffered or returned): where a reconnect resumes. */
  private received: string | undefined;
  /** The position of the last record returned by poll. */
  private returned: string | undefined;
  private socket: WebSocket | undefined;
  private urlHeader = Buffer.alloc(0);
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly waiter = new PollWaiter();
  private closed = false;

  private constructor(
    private readonly config: WebSocketSourceConfig,
    position: string | undefined,
  ) {
    this.received = position;
    this.returned = position;
  }

  static async open(
    config: WebSocketSourceConfig,
    position: string | undefined,
  ): Promise<WebSocketSourceReader> {
    const reader = new WebSocketSourceReader(config, position);
    await reader.connectFirst();
    return reader;
  }

  private connectFirst(): Promise<void> {
    return new Promise((resolve, reject) => {
      const url = this.config.url(this.received);
      const socket = this.createSocket(url);
      const timer = setTimeout(
        () => fail(new Error(`no connection within ${this.config.connectTimeoutMs} ms`)),
        this.config.connectTimeoutMs,
      );
      const fail = (error: Error, status?: number) => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.terminate();
        this.closed = true;
        const refused =
          status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
        reject(
          new EngineError(
            refused ? 'CONNECTOR_FAILED' : 'CONNECTOR_UNAVAILABLE',
            `webSocketSource: cannot connect to ${url}: ${error.message}`,
            { cause: error, retryable: !refused, details: { connector: WEBSOCKET, url, status } },
          ),
        );
      };
      socket.once('open', () => {
        clearTimeout(timer);
        socket.removeAllListeners('unexpected-response');
        this.attach(socket, url);
        resolve();
      });
      socket.once('error', (error) => fail(error));
      socket.once('unexpected-response', (_request, response) =>
        fail(new Error(`the server answered ${response.statusCode}`), response.statusCode),
      );
    });
  }

  private createSocket(url: string): WebSocket {
    return new WebSocket(url, {
      headers: this.config.headers,
      handshakeTimeout: this.config.connectTimeoutMs,
    });
  }

  /** Takes an open socket into use: its messages become records; its loss schedules a reconnect. */
  private attach(socket: WebSocket, url: string): void {
    this.socket = socket;
    this.urlHeader = Buffer.from(url);
    socket.removeAllListeners('error');
    socket.on('error', () => undefined); // 'close' follows and reconnects
    socket.on('message', (data, isBinary) => this.receive(toBytes(data), isBinary));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.scheduleReconnect();
    });
    if (this.records.length - this.head >= this.config.maxBuffered) socket.pause();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    this.attempt++;
    const ceiling = Math.min(this.config.maxMs, this.config.minMs * 2 ** Math.min(this.attempt - 1, 30));
    const delay = Math.round(ceiling / 2 + (ceiling / 2) * Math.random());
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed) return;
      const url = this.config.url(this.received);
      const socket = this.createSocket(url);
      socket.once('open', () => {
        if (this.closed) {
          socket.terminate();
          return;
        }
        this.attempt = 0;
        this.attach(socket, url);
      });
      socket.on('error', () => undefined);
      socket.once('unexpected-response', () => socket.terminate());
      socket.once('close', () => {
        if (this.socket !== socket) this.scheduleReconnect();
      });
    }, delay);
  }

  private receive(bytes: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (this.config.lines && !isBinary) {
      let start = 0;
      for (;;) {
        const end = bytes.indexOf(NEWLINE, start);
        const stop = end === -1 ? bytes.length : end;
        if (stop > start) this.push(bytes.subarray(start, stop));
        if (end === -1) break;
        start = end + 1;
      }
    } else this.push(bytes);
    this.waiter.wake();
    if (this.records.length - this.head >= this.config.maxBuffered) this.socket?.pause();
  }

  private push(value: Buffer): void {
    const positionOf = this.config.positionOf;
    if (positionOf !== undefined) this.received = positionOf(value);
    this.records.push({
      key: null,
      value,
      timestamp: Date.now(),
      headers: new Map([[URL_HEADER, this.urlHeader]]),
    });
    this.positions.push(this.received ?? '');
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch> {
    if (this.closed)
      throw new EngineError('CONNECTOR_FAILED', 'webSocketSource: the reader is closed', {
        retryable: false,
        details: { connector: WEBSOCKET },
      });
    if (this.records.length === this.head && maxWaitMs > 0 && signal?.aborted !== true)
      await this.waiter.wait(maxWaitMs, signal);
    const count = Math.min(this.records.length - this.head, Math.max(0, maxRecords));
    if (count === 0) return { records: [], position: this.returned ?? '' };
    const from = this.head;
    const records = this.records.slice(from, from + count);
    this.returned = this.positions[from + count - 1];
    this.head += count;
    if (this.head === this.records.length) {
      this.records = [];
      this.positions = [];
      this.head = 0;
    } else if (this.head >= 4096) {
      this.records = this.records.slice(this.head);
      this.positions = this.positions.slice(this.head);
      this.head = 0;
    }
    const socket = this.socket;
    if (socket?.isPaused === true && this.records.length - this.head < this.config.maxBuffered)
      socket.resume();
    return { records, position: this.returned ?? '' };
  }

  async commit(_position: string): Promise<void> {
    // Nothing to acknowledge: a resuming server is told the position by the URL of the next connection.
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.waiter.wake();
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined && socket.readyState !== WebSocket.CLOSED)
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.terminate();
      });
  }
}
