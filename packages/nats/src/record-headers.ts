import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import type { Headers } from 'rivulet/connector';

/**
 * How a record's key and headers travel in NATS message headers, shared by the sinks (which write
 * them) and the sources (which read them back).
 *
 * - The key goes in `Rivulet-Key` as text when it is UTF-8 that NATS carries unchanged (no CR/LF, no
 *   leading/trailing whitespace, which NATS trims), else base64 in `Rivulet-Key-Base64`.
 * - User headers go as they are, one value each. A header NATS cannot carry unchanged (a name with
 *   ':' or non-printable characters, a value that is not such text) makes the record invalid: the sink
 *   refuses it (INVALID_RECORD) rather than store something else.
 * - Headers named `Nats-*` belong to NATS (`Nats-Msg-Id`...) and are not handed to the pipeline;
 *   `Rivulet-*` names are this mapping's own (a user header so named is not sent).
 * - A null value (tombstone) travels as an empty payload with `Rivulet-Tombstone: true`.
 */
export const KEY_HEADER = 'Rivulet-Key';
export const KEY_BASE64_HEADER = 'Rivulet-Key-Base64';
export const MSG_ID_HEADER = 'Nats-Msg-Id';
/** Marks a record whose value is null (a tombstone): NATS has no null payload, only an empty one. */
export const TOMBSTONE_HEADER = 'Rivulet-Tombstone';

const EMPTY = new Uint8Array(0);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const headerName = /^[!-9;-~]+$/;

/** The bytes as text NATS keeps unchanged, or undefined. */
function carriedText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
  if (/[\r\n]/.test(text) || text.trim() !== text) return undefined;
  return text;
}

/**
 * NATS headers for a record (key, user headers, optional message id); a string saying why when the
 * record cannot be carried. Returns undefined when there is nothing to send.
 */
export function encodeRecordHeaders(
  key: Uint8Array | null,
  headers: Headers | undefined,
  msgId: string | undefined,
): MsgHdrs | string | undefined {
  if (key === null && (headers === undefined || headers.size === 0) && msgId === undefined) return undefined;
  const h = natsHeaders();
  if (headers !== undefined) {
    for (const [name, value] of headers) {
      if (!headerName.test(name)) return `header name ${JSON.stringify(name)} cannot be carried by NATS`;
      if (name.startsWith('Nats-') || name.startsWith('Rivulet-')) continue;
      const text = carriedText(value);
      if (text === undefined)
        return `header ${JSON.stringify(name)} is not UTF-8 text without CR/LF or surrounding spaces`;
      h.set(name, text);
    }
  }
  if (key !== null) {
    const text = carriedText(key);
    if (text !== undefined) h.set(KEY_HEADER, text);
    else h.set(KEY_BASE64_HEADER, Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64'));
  }
  if (msgId !== undefined) h.set(MSG_ID_HEADER, msgId);
  return h;
}

/**
 * The key and user headers of a received message; `into` already holds the provenance headers and
 * receives the user headers (the last value of a repeated header), and `Rivulet-Tombstone` when the
 * message stands for a null value (the caller removes it).
 */
export function decodeRecordHeaders(h: MsgHdrs | undefined, into: Headers): Uint8Array | null {
  if (h === undefined) return null;
  let key: Uint8Array | null = null;
  for (const [name, values] of h) {
    const value = values[values.length - 1] ?? '';
    if (name === KEY_HEADER) key = Buffer.from(value, 'utf8');
    else if (name === KEY_BASE64_HEADER) key = Buffer.from(value, 'base64');
    else if (name === TOMBSTONE_HEADER) into.set(name, EMPTY);
    else if (!name.startsWith('Nats-')) into.set(name, Buffer.from(value, 'utf8'));
  }
  return key;
}
