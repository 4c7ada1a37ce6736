import { isUtf8 } from 'node:buffer';
import { custom, EngineError, type Format } from 'rivulet';

export interface CsvOptions {
  /** The column names, in order: a row decodes to an object with exactly these keys. Required. */
  columns: readonly string[];
  /** One character, not a quote, CR or LF. Default ','. */
  delimiter?: string;
  /**
   * True when the topic may carry the header line itself (a file read line by line): decoding a row
   * whose fields equal the column names throws INVALID_RECORD with `details.header = true`, so a
   * `deserialize: 'skip'` policy drops it. Default false (a row equal to the names is data).
   */
  header?: boolean;
}

/** A Format of single CSV rows, with the encoded header line for sinks that write whole files. */
export type CsvFormat = Format<Record<string, string>> & {
  readonly columns: readonly string[];
  /** The header row (the column names), encoded as `encode` encodes a row. */
  readonly headerRow: Uint8Array;
};

/**
 * One CSV row per record (RFC 4180), UTF-8. `encode` writes the fields in `columns` order, quoting a
 * field that holds the delimiter, a quote, CR or LF (quotes doubled), with no line terminator; a value
 * missing a column, holding a non-string or an unknown column is INVALID_RECORD (nothing is dropped
 * silently). `decode` reads exactly one row: quoted fields may hold delimiters, doubled quotes and line
 * breaks; one trailing CRLF or LF is allowed; a wrong field count, a stray quote, text after a closing
 * quote, an unterminated quote or invalid UTF-8 is INVALID_RECORD.
 */
export function csv(options: CsvOptions): CsvFormat {
  const { columns, delimiter, header } = validate(options);
  const delim = delimiter.charCodeAt(0);
  const needsQuote = (field: string): boolean =>
    field.includes(delimiter) || field.includes('"') || field.includes('\r') || field.includes('\n');
  const known = new Set(columns);
  const details = { format: 'csv' };

  const encodeRow = (fields: readonly string[]): Uint8Array => {
    let line = '';
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      if (i > 0) line += delimiter;
      line += needsQuote(field) ? `"${field.replaceAll('"', '""')}"` : field;
    }
    return Buffer.from(line, 'utf8');
  };

  const encode = (row: Record<string, string>): Uint8Array => {
    if (row === null || typeof row !== 'object')
      throw new EngineError('INVALID_RECORD', 'csv: a row must be an object of column -> string', {
        details,
      });
    const fields = new Array<string>(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      const value = Object.hasOwn(row, column) ? row[column] : undefined;
      if (typeof value !== 'string')
        throw new EngineError(
          'INVALID_RECORD',
          `csv: column '${column}' must be a string, got ${value === undefined ? 'nothing' : typeof value}`,
          { details: { ...details, column } },
        );
      fields[i] = value;
    }
    for (const key of Object.keys(row))
      if (!known.has(key))
        throw new EngineError('INVALID_RECORD', `csv: '${key}' is not one of the columns`, {
          details: { ...details, column: key },
        });
    return encodeRow(fields);
  };

  const decode = (bytes: Uint8Array): Record<string, string> => {
    if (!isUtf8(bytes))
      throw new EngineError('INVALID_RECORD', 'csv: the row is not valid UTF-8', { details });
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    const fields = parseRow(text, delim);
    if (fields.length !== columns.length)
      throw new EngineError(
        'INVALID_RECORD',
        `csv: expected ${columns.length} fields, got ${fields.length}`,
        { details: { ...details, fields: fields.length } },
      );
    if (header && fields.every((f, i) => f === columns[i]))
      throw new EngineError('INVALID_RECORD', 'csv: this row is the header line', {
        details: { ...details, header: true },
      });
    const row: Record<string, string> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = fields[i]!;
    return row;
  };

  return Object.assign(custom({ name: 'csv', encode, decode }), {
    columns,
    headerRow: encodeRow(columns),
  });
}

const QUOTE = 34;
const CR = 13;
const LF = 10;

/** Splits one RFC 4180 row into its fields; throws INVALID_RECORD on a malformed row. */
function parseRow(text: string, delim: number): string[] {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === LF) end -= end > 1 && text.charCodeAt(end - 2) === CR ? 2 : 1;
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (i < end && text.charCodeAt(i) === QUOTE) {
      // Quoted field: up to the quote not followed by another quote.
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q === -1 || q >= end) throw malformed('a quoted field is not closed');
        value += text.slice(from, q);
        if (q + 1 < end && text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === end) return fields;
      if (text.charCodeAt(i) !== delim) throw malformed(`text after a closing quote at character ${i}`);
      i++;
    } else {
      let j = i;
      while (j < end) {
        const c = text.charCodeAt(j);
        if (c === delim) break;
        if (c === QUOTE) throw malformed(`a quote inside an unquoted field at character ${j}`);
        if (c === CR || c === LF) throw malformed(`a line break outside quotes at character ${j}`);
        j++;
      }
      fields.push(text.slice(i, j));
      if (j === end) return fields;
      i = j + 1;
    }
  }
}

function malformed(what: string): EngineError {
  return new EngineError('INVALID_RECORD', `csv: malformed row: ${what}`, { details: { format: 'csv' } });
}

function validate(options: CsvOptions): { columns: readonly string[]; delimiter: string; header: boolean } {
  const fail = (option: string, what: string): never => {
    throw new EngineError('INVALID_ARGUMENT', `csv: ${option} ${what}`, {
      details: { format: 'csv', option },
    });
  };
  if (options === null || typeof options !== 'object')
    fail('options', 'must be { columns, delimiter?, header? }');
  const { columns, delimiter = ',', header = false } = options;
  if (!Array.isArray(columns) || columns.length === 0) fail('columns', 'must be a non-empty array of names');
  if (columns.some((c) => typeof c !== 'string')) fail('columns', 'must all be strings');
  if (new Set(columns).size !== columns.length) fail('columns', 'must not repeat a name');
  if (columns.includes('__proto__')) fail('columns', "must not contain '__proto__'");
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || '"\r\n'.includes(delimiter))
    fail('delimiter', 'must be one character other than a quote, CR or LF');
  if (typeof header !== 'boolean') fail('header', 'must be a boolean');
  return { columns: Object.freeze([...columns]), delimiter, header };
}
