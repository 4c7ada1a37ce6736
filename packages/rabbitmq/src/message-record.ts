import { isUtf8 } from 'node:buffer';
import type { ConsumeMessage, MessagePropertyHeaders } from 'amqplib';
import type { ConnectorRecord, Headers } from 'rivulet/connector';

/** The AMQP header carrying a record's key (written by the sink, read by the sources). */
export const KEY_HEADER = 'rivulet-key';
/**
 * The AMQP header carrying the record time in milliseconds (the name the rabbitmq-message-timestamp plugin
 * uses); the `timestamp` property holds whole seconds only.
 */
export const TIMESTAMP_MS_HEADER = 'timestamp_in_ms';

const EMPTY = new Uint8Array(0);

/**
 * A delivery as a ConnectorRecord: the body as the value (no copy; an empty body is an empty value), the
 * key from the `rivulet-key` header, the time from `timestamp_in_ms`, else the `timestamp` property
 * (seconds), else `now`. `headers` already holds the caller's provenance (`rivulet.source.*`); every AMQP
 * header except `skip` is added as bytes: strings as UTF-8, byte arrays as they are, numbers and booleans
 * as their text, tables and arrays as JSON.
 */
export function messageToRecord(
  message: ConsumeMessage,
  now: number,
  headers: Headers,
  skip?: string,
): ConnectorRecord {
  const properties = message.properties;
  const amqpHeaders = properties.headers;
  let key: Uint8Array | null = null;
  let timestamp = now;
  if (typeof properties.timestamp === 'number' && Number.isSafeInteger(properties.timestamp * 1000))
    timestamp = properties.timestamp * 1000;
  if (amqpHeaders !== undefined) {
    for (const name in amqpHeaders) {
      if (name === skip) continue;
      const bytes = headerBytes(amqpHeaders[name]);
      headers.set(name, bytes);
      if (name === KEY_HEADER) key = bytes;
    }
    const ms = amqpHeaders[TIMESTAMP_MS_HEADER];
    if (typeof ms === 'number' && Number.isSafeInteger(ms)) timestamp = ms;
  }
  return { key, value: message.content, timestamp, headers };
}

function headerBytes(value: unknown): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return value;
  if (value === null || value === undefined) return EMPTY;
  if (typeof value === 'object') return Buffer.from(JSON.stringify(value), 'utf8');
  return Buffer.from(String(value), 'utf8');
}

/**
 * Record headers as an AMQP header table: UTF-8 values as strings (readable in the management UI and by
 * other clients), other bytes as byte arrays (field type 'x').
 */
export function recordHeadersToAmqp(headers: Headers | undefined, into: MessagePropertyHeaders): void {
  if (headers === undefined) return;
  for (const [name, value] of headers) into[name] = amqpHeaderValue(value);
}

/** Bytes as an AMQP header value: a string when valid UTF-8, else a Buffer (a byte array). */
export function amqpHeaderValue(value: Uint8Array): string | Buffer {
  const buffer = Buffer.isBuffer(value)
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return isUtf8(buffer) ? buffer.toString('utf8') : buffer;
}
