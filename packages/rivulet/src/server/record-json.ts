import type { LogRecord } from '../log/index.ts';

export interface RecordJson {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  /** The value parsed, when it is JSON text. */
  json?: unknown;
  headers: Record<string, string>;
}

/** A record as the HTTP API shows it: key, value and header values as UTF-8 text. */
export function recordJson(record: LogRecord): RecordJson {
  const value = record.valueString();
  const out: RecordJson = {
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.keyString(),
    value,
    headers: {},
  };
  if (value !== null)
    try {
      out.json = JSON.parse(value);
    } catch {
      // not JSON: the text alone
    }
  // Object.fromEntries defines own properties: a header named `__proto__` stays a plain field.
  if (record.headers !== undefined)
    out.headers = Object.fromEntries(
      [...record.headers].map(([name, bytes]) => [name, Buffer.from(bytes).toString('utf8')]),
    );
  return out;
}
