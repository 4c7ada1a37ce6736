import { EngineError, type SourceConnector, type SourceFeatures, type SourceReader } from 'rivulet/connector';
import { WebSocketSourceReader } from './websocket-source-reader.ts';

/** Options of `webSocketSource` (connection only: the engine names the source). */
export interface WebSocketSourceOptions {
  /**
   * The ws:// or wss:// URL to tail, or a function of the last position received (undefined at the
   * start) giving the URL to (re)connect to, e.g. `(p) => p ? `${base}?from=${p}` : base`.
   */
  readonly url: string | ((position: string | undefined) => string);
  /** `message` (default): one record per message. `lines`: one record per non-empty line of a message. */
  readonly parse?: 'message' | 'lines';
  /**
   * The position of a record (its value bytes), e.g. a sequence number the server stamps. With a URL
   * function it makes the source positioned: a reconnect or a reopen resumes right after the position.
   */
  readonly positionOf?: (value: Uint8Array) => string;
  /** Backoff between reconnect attempts (default `{ minMs: 100, maxMs: 10_000 }`). */
  readonly reconnect?: { readonly minMs: number; readonly maxMs: number };
  /** Records held before the socket is paused (default 1024). */
  readonly maxBuffered?: number;
  /** Extra headers of the upgrade request (e.g. authorization). */
  readonly headers?: Readonly<Record<string, string>>;
  /** How long `open` waits for the first connection (default 10 000). */
  readonly connectTimeoutMs?: number;
}

export interface WebSocketSourceConfig {
  readonly url: (position: string | undefined) => string;
  readonly lines: boolean;
  readonly positionOf: ((value: Uint8Array) => string) | undefined;
  readonly minMs: number;
  readonly maxMs: number;
  readonly maxBuffered: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly connectTimeoutMs: number;
}

export const WEBSOCKET = 'websocket';
export const WEBSOCKET_SPLIT = 'websocket';

function invalid(message: string, option: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `webSocketSource: ${message}`, {
    details: { connector: WEBSOCKET, option },
  });
}

function integer(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(`option ${option} must be an integer from ${min} to ${max}, got ${String(value)}`, option);
  return value;
}

function resolveOptions(options: WebSocketSourceOptions): WebSocketSourceConfig {
  if (typeof options !== 'object' || options === null) throw invalid('options are required', 'options');
  const url = options.url;
  if (typeof url === 'string') {
    if (!/^wss?:\/\//.test(url)) throw invalid(`option url must be a ws:// or wss:// URL, got ${url}`, 'url');
  } else if (typeof url !== 'function')
    throw invalid('option url must be a URL or a function of the position', 'url');
  if (options.parse !== undefined && options.parse !== 'message' && options.parse !== 'lines')
    throw invalid(`option parse must be 'message' or 'lines', got ${String(options.parse)}`, 'parse');
  if (options.positionOf !== undefined && typeof options.positionOf !== 'function')
    throw invalid('option positionOf must be a function', 'positionOf');
  const reconnect = options.reconnect ?? { minMs: 100, maxMs: 10_000 };
  integer(reconnect.minMs, 'reconnect.minMs', 1, 3_600_000);
  integer(reconnect.maxMs, 'reconnect.maxMs', reconnect.minMs, 3_600_000);
  return {
    url: typeof url === 'string' ? () => url : url,
    lines: options.parse === 'lines',
    positionOf: options.positionOf,
    minMs: reconnect.minMs,
    maxMs: reconnect.maxMs,
    maxBuffered:
      options.maxBuffered === undefined ? 1024 : integer(options.maxBuffered, 'maxBuffered', 1, 10_000_000),
    headers: { ...options.headers },
    connectTimeoutMs:
      options.connectTimeoutMs === undefined
        ? 10_000
        : integer(options.connectTimeoutMs, 'connectTimeoutMs', 1, 3_600_000),
  };
}

/**
 * Tails a WebSocket (a Loki tail, a log or event feed) as one split: each message, or each line of it,
 * is a record (value = the bytes, key null, timestamp = arrival, header `rivulet.source.url`). A lost
 * connection is reconnected with exponential backoff and jitter. With `positionOf` and a URL function
 * the source is positioned: the URL gets the last position received, so a server that resumes after it
 * loses and repeats nothing (replay 'exactly-once'). Otherwise records sent while disconnected are lost
 * ('at-most-once').
 */
export function webSocketSource(options: WebSocketSourceOptions): SourceConnector {
  const config = resolveOptions(options);
  const resumable = options.positionOf !== undefined && typeof options.url === 'function';
  const features: SourceFeatures = resumable
    ? { ordered: true, persistent: true, positioned: true, replay: 'exactly-once' }
    : { ordered: true, persistent: false, positioned: false, replay: 'at-most-once' };
  return {
    kind: 'source-connector',
    connector: WEBSOCKET,
    features,
    splits: async () => [WEBSOCKET_SPLIT],
    open: async (split: string, position: string | undefined): Promise<SourceReader> => {
      if (split !== WEBSOCKET_SPLIT)
        throw new EngineError('INVALID_ARGUMENT', `webSocketSource: unknown split ${split}`, {
          details: { connector: WEBSOCKET, split },
        });
      // Without resume a position means nothing to the server: start from the live tail.
      return WebSocketSourceReader.open(config, resumable && position !== '' ? position : undefined);
    },
  };
}
