import { quoteIdentifier } from './quote-identifier.ts';

/** A column of the sink's table: its name and SQL type (`format_type`, safe to splice after `::`). */
export interface TableColumn {
  readonly name: string;
  readonly type: string;
  /** json/jsonb: values are bound as JSON text, whatever their JS type. */
  readonly json: boolean;
}

/** Postgres's limit on bind parameters per statement. */
const MAX_PARAMETERS = 65_535;
/** Rows per statement: big enough to amortise round trips, small enough to plan quickly. */
const MAX_ROWS = 1_000;

/** How many rows of `columns` width fit in one statement. */
export function rowsPerStatement(width: number): number {
  return Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS / Math.max(1, width))));
}

function placeholders(columns: readonly TableColumn[], rows: number, cast: boolean): string {
  const tuples: string[] = new Array(rows);
  let n = 1;
  for (let r = 0; r < rows; r++) {
    const slots: string[] = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) slots[c] = cast ? `$${n++}::${columns[c]!.type}` : `$${n++}`;
    tuples[r] = `(${slots.join(',')})`;
  }
  return tuples.join(',');
}

/**
 * `INSERT INTO table (columns) VALUES (...),... ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c` for
 * `rows` rows; every value is a bind parameter (typed by its target column), every identifier quoted.
 * The caller guarantees the rows have distinct keys (Postgres refuses to update a row twice per statement).
 */
export function upsertSql(
  table: string,
  columns: readonly TableColumn[],
  key: readonly string[],
  rows: number,
): string {
  const keySet = new Set(key);
  const names = columns.map((c) => quoteIdentifier(c.name)).join(',');
  const updates = columns
    .filter((c) => !keySet.has(c.name))
    .map((c) => `${quoteIdentifier(c.name)}=EXCLUDED.${quoteIdentifier(c.name)}`);
  const conflict = key.map(quoteIdentifier).join(',');
  const action = updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(',')}`;
  return `INSERT INTO ${table} (${names}) VALUES ${placeholders(columns, rows, false)} ON CONFLICT (${conflict}) ${action}`;
}

/** `DELETE FROM table WHERE (key) IN (VALUES (...),...)` for `rows` keys, parameters cast to the key types. */
export function deleteSql(table: string, keyColumns: readonly TableColumn[], rows: number): string {
  const names = keyColumns.map((c) => quoteIdentifier(c.name)).join(',');
  return `DELETE FROM ${table} WHERE (${names}) IN (VALUES ${placeholders(keyColumns, rows, true)})`;
}

/** The bind value for a JSON field going into `column`. */
export function bindValue(column: TableColumn, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (column.json) return JSON.stringify(value);
  if (typeof value === 'object' && !Array.isArray(value)) return JSON.stringify(value);
  return value;
}
