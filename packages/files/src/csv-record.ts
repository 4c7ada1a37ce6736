/**
 * One RFC 4180 record framed from bytes: fields separated by a one-byte delimiter, records ended by LF
 * or CRLF, fields optionally quoted with `"` (a `""` inside is one quote; a quoted field may hold the
 * delimiter, CR and LF). Framing is byte-wise, so any ASCII-compatible encoding (UTF-8) works.
 */
export interface CsvRecord {
  /** Byte index right after the record (after its LF, or the end of the data at EOF). */
  readonly end: number;
  /** LF bytes consumed (for line numbers): 1 per terminated record plus those inside quoted fields. */
  readonly newlines: number;
  /** Byte index where the record's text ends (without its CR/LF). */
  readonly textEnd: number;
  /** Decoded fields, or undefined when the record is malformed (then `error` says why). */
  readonly fields: string[] | undefined;
  readonly error: string | undefined;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const ESCAPED_QUOTE = /""/g;

enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: either the closing quote or the first of `""`. */
  QuoteInQuoted,
}

/**
 * Frames the record starting at `start`. Returns undefined when more bytes are needed (no record end
 * yet and not `eof`), or when `start` is at the end. At EOF an unterminated record ends at the data's
 * end. A quoted field still open at EOF, or longer than `maxRecordBytes`, makes a malformed record of
 * the first physical line only, so reading resumes on the next line.
 */
export function readCsvRecord(
  data: Uint8Array,
  start: number,
  eof: boolean,
  delimiter: number,
  maxRecordBytes: number,
): CsvRecord | undefined {
  if (start >= data.length) return undefined;
  const bounds: number[] = []; // [begin, end, quoted(0/1)] per field
  let state = State.FieldStart;
  let fieldStart = start;
  let newlines = 0;
  let error: string | undefined;
  let i = start;
  for (; i < data.length; i++) {
    const c = data[i]!;
    if (state === State.Quoted) {
      if (c === QUOTE) state = State.QuoteInQuoted;
      else if (c === LF) newlines++;
      if (i - start > maxRecordBytes)
        return firstLine(
          data,
          start,
          `a quoted field is longer than ${maxRecordBytes} bytes (unbalanced quote?)`,
        );
      continue;
    }
    if (state === State.QuoteInQuoted) {
      if (c === QUOTE) {
        state = State.Quoted;
        continue;
      }
      if (c === delimiter || c === LF || (c === CR && data[i + 1] === LF)) {
        bounds.push(fieldStart + 1, i - 1, 1);
        if (c === delimiter) {
          state = State.FieldStart;
          fieldStart = i + 1;
          continue;
        }
        if (c === CR) i++;
        return finish(data, start, i + 1, newlines + 1, bounds, error, c === CR ? i - 1 : i);
      }
      if (c === CR && i + 1 >= data.length && !eof) return undefined;
      error ??= `unexpected character after a closing quote at byte ${i - start} of the record`;
      state = State.Unquoted;
      continue;
    }
    if (c === delimiter) {
      bounds.push(fieldStart, i, 0);
      state = State.FieldStart;
      fieldStart = i + 1;
    } else if (c === LF) {
      if (state === State.FieldStart || state === State.Unquoted) {
        const textEnd = i > start && data[i - 1] === CR ? i - 1 : i;
        bounds.push(fieldStart, Math.max(fieldStart, textEnd), 0);
        return finish(data, start, i + 1, newlines + 1, bounds, error, textEnd);
      }
    } else if (c === QUOTE) {
      if (state === State.FieldStart) state = State.Quoted;
      else error ??= `a quote inside an unquoted field at byte ${i - start} of the record`;
    } else if (state === State.FieldStart) state = State.Unquoted;
  }
  if (!eof) return undefined;
  if (state === State.Quoted)
    return firstLine(data, start, 'a quoted field is not closed before the end of the file');
  if (state === State.QuoteInQuoted) bounds.push(fieldStart + 1, i - 1, 1);
  else {
    const textEnd = i > start && data[i - 1] === CR ? i - 1 : i;
    bounds.push(fieldStart, Math.max(fieldStart, textEnd), 0);
  }
  return finish(
    data,
    start,
    i,
    newlines,
    bounds,
    error,
    state === State.QuoteInQuoted ? i : bounds[bounds.length - 2]!,
  );
}

function finish(
  data: Uint8Array,
  start: number,
  end: number,
  newlines: number,
  bounds: number[],
  error: string | undefined,
  textEnd: number,
): CsvRecord {
  if (error !== undefined) return { end, newlines, textEnd, fields: undefined, error };
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const fields = new Array<string>(bounds.length / 3);
  for (let f = 0; f < fields.length; f++) {
    const text = buffer.toString('utf8', bounds[f * 3]!, bounds[f * 3 + 1]!);
    fields[f] = bounds[f * 3 + 2] === 1 && text.includes('"') ? text.replace(ESCAPED_QUOTE, '"') : text;
  }
  return { end, newlines, textEnd: Math.max(start, textEnd), fields, error: undefined };
}

/** The malformed record made of the first physical line at `start` (through its LF, or to the end). */
function firstLine(data: Uint8Array, start: number, error: string): CsvRecord {
  let lf = start;
  while (lf < data.length && data[lf] !== LF) lf++;
  if (lf >= data.length)
    return { end: data.length, newlines: 0, textEnd: data.length, fields: undefined, error };
  const textEnd = lf > start && data[lf - 1] === CR ? lf - 1 : lf;
  return { end: lf + 1, newlines: 1, textEnd, fields: undefined, error };
}
