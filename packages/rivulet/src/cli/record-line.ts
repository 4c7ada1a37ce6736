/**
 * The JSON line `rivulet consume` prints per record:
 * `{"topic","partition","offset","timestamp","key","value","headers"}`. `timestamp` is epoch ms; `key` is
 * the key as UTF-8 text or null; `value` is the value parsed as JSON when it is valid JSON, else its
 * UTF-8 text, or null for a tombstone; `headers` maps each header name to its value as UTF-8 text.
 */
import type { LogRecord } from '../log/index.ts';

/** The parsed form of one output line (what a reader of `rivulet consume` gets from JSON.parse). */
export interface RecordLine {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
}

const utf8 = new TextDecoder();

function parsedValue(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One output line, newline included. */
export function formatRecordLine(topic: string, partition: number, record: LogRecord): string {
  // A null-prototype object: header names are user data, so none of them can reach Object.prototype.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  if (record.headers !== undefined) {
    for (const [name, value] of record.headers) headers[name] = utf8.decode(value);
  }
  const line: RecordLine = {
    topic,
    partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.keyString(),
    value: parsedValue(record.valueString()),
    headers,
  };
  return `${JSON.stringify(line)}\n`;
}
