/**
 * SQL identifier quoting: every identifier that reaches SQL text (table, column, schema, publication)
 * goes through here; values only ever travel as bind parameters. A double quote inside a name is
 * doubled, so a name can never end the identifier early; NUL (which Postgres cannot store) is refused
 * by the callers' option checks.
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A table named `name` or `schema.name` (split at the first dot; both parts taken literally, case-sensitive). */
export interface TableName {
  readonly schema: string | undefined;
  readonly name: string;
}

export function parseTableName(text: string): TableName {
  const dot = text.indexOf('.');
  return dot < 0
    ? { schema: undefined, name: text }
    : { schema: text.slice(0, dot), name: text.slice(dot + 1) };
}

export function quoteTable(table: TableName): string {
  return table.schema === undefined
    ? quoteIdentifier(table.name)
    : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}
