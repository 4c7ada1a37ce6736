import { EngineError } from 'rivulet/connector';

/**
 * Column types a Parquet sink writes. JSON values map to them as follows (null or a missing field is a
 * Parquet null; anything else that does not fit refuses the record):
 * - STRING: a JSON string.  JSON: any JSON value, stored as its JSON text (BYTE_ARRAY, converted type JSON).
 * - INT32: an integer in [-2^31, 2^31).  INT64: a safe integer (JSON numbers beyond 2^53 are not exact).
 * - DOUBLE / FLOAT: any JSON number.  BOOLEAN: true / false.
 * - TIMESTAMP: milliseconds since the epoch (a safe integer) or an ISO-8601 string (TIMESTAMP_MILLIS, UTC).
 */
export type ParquetColumnType =
  | 'STRING'
  | 'JSON'
  | 'INT32'
  | 'INT64'
  | 'DOUBLE'
  | 'FLOAT'
  | 'BOOLEAN'
  | 'TIMESTAMP';

export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetColumnType;
}

/** Columns as the user gives them: `[{ name, type }]` or `{ name: type }` (field order is column order). */
export type ParquetColumnsOption = readonly ParquetColumn[] | Readonly<Record<string, ParquetColumnType>>;

const TYPES: ReadonlySet<string> = new Set([
  'STRING',
  'JSON',
  'INT32',
  'INT64',
  'DOUBLE',
  'FLOAT',
  'BOOLEAN',
  'TIMESTAMP',
]);

/** Validates the `columns` option; throws INVALID_ARGUMENT naming the bad entry. */
export function resolveColumns(option: ParquetColumnsOption | undefined): ParquetColumn[] {
  const invalid = (message: string) =>
    new EngineError('INVALID_ARGUMENT', `parquetSink: ${message}`, { details: { connector: 'parquet' } });
  if (option === undefined || option === null || typeof option !== 'object')
    throw invalid('`columns` is required: [{ name, type }] or { name: type }');
  const columns: ParquetColumn[] = Array.isArray(option)
    ? option.map((c: ParquetColumn) => ({ name: c?.name, type: c?.type }))
    : Object.entries(option as Record<string, ParquetColumnType>).map(([name, type]) => ({ name, type }));
  if (columns.length === 0) throw invalid('`columns` must name at least one column');
  const names = new Set<string>();
  for (const column of columns) {
    if (typeof column.name !== 'string' || column.name === '')
      throw invalid(`\`columns\`: a column without a name (${JSON.stringify(column)})`);
    if (names.has(column.name)) throw invalid(`\`columns\`: column '${column.name}' appears twice`);
    names.add(column.name);
    if (!TYPES.has(column.type))
      throw invalid(
        `\`columns\`: column '${column.name}' has type ${JSON.stringify(column.type)}; expected one of ${[...TYPES].join(', ')}`,
      );
  }
  return columns;
}

/** The value stored for `value` in a column of `type`, or undefined when it does not fit. */
function convert(type: ParquetColumnType, value: unknown): unknown {
  switch (type) {
    case 'STRING':
      return typeof value === 'string' ? value : undefined;
    case 'JSON':
      return JSON.stringify(value);
    case 'INT32':
      return Number.isInteger(value) && (value as number) >= -2147483648 && (value as number) <= 2147483647
        ? value
        : undefined;
    case 'INT64':
      return Number.isSafeInteger(value) ? BigInt(value as number) : undefined;
    case 'DOUBLE':
    case 'FLOAT':
      return typeof value === 'number' ? value : undefined;
    case 'BOOLEAN':
      return typeof value === 'boolean' ? value : undefined;
    case 'TIMESTAMP': {
      if (Number.isSafeInteger(value)) return value;
      if (typeof value !== 'string') return undefined;
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? undefined : ms;
    }
  }
}

/**
 * Parses a record value (UTF-8 JSON object) into one stored value per column. Returns a message (string)
 * when the value cannot become a row: not JSON, not an object, or a field of the wrong type. Fields not
 * among the columns are ignored.
 */
export function rowFromValue(columns: readonly ParquetColumn[], value: Uint8Array): unknown[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  } catch (error) {
    return `the value is not JSON (${(error as Error).message})`;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return 'the value is not a JSON object';
  const fields = parsed as Record<string, unknown>;
  const row = new Array<unknown>(columns.length);
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c]!;
    const field = Object.hasOwn(fields, column.name) ? fields[column.name] : undefined;
    if (field === undefined || field === null) {
      row[c] = null;
      continue;
    }
    const stored = convert(column.type, field);
    if (stored === undefined)
      return `field '${column.name}' (${JSON.stringify(field).slice(0, 60)}) does not fit column type ${column.type}`;
    row[c] = stored;
  }
  return row;
}
