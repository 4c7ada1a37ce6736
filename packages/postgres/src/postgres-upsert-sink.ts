import pg from 'pg';
import { EngineError, type SinkConnector, type SinkContext, type SinkWriter } from 'rivulet/connector';
import { toEngineError } from './pg-error.ts';
import { parseTableName, quoteIdentifier, quoteTable, type TableName } from './quote-identifier.ts';
import type { TableColumn } from './upsert-statement.ts';
import { type UpsertTarget, UpsertWriter } from './upsert-writer.ts';

export interface PostgresUpsertSinkOptions {
  /** libpq-style URL, e.g. `postgres://user@host:5432/db`. */
  readonly connectionString: string;
  /** The target table, `name` (current schema) or `schema.name`, taken literally (case-sensitive). */
  readonly table: string;
  /** The conflict key: columns with a unique index or constraint on exactly them (usually the primary key). */
  readonly key: readonly string[];
  /** Columns a value may fill (default: every column of the table); a value's other fields are ignored. */
  readonly columns?: readonly string[];
  /**
   * Where positions are stored, created if missing (default `rivulet_sink_offsets` in the table's
   * schema); `name` or `schema.name`.
   */
  readonly offsetsTable?: string;
}

const CONNECTOR = 'postgres-upsert';

function invalid(option: string, message: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `postgresUpsertSink: option '${option}' ${message}`, {
    details: { connector: CONNECTOR, option },
  });
}

function validName(text: unknown): text is string {
  return typeof text === 'string' && text !== '' && !text.includes('\0') && !text.endsWith('.');
}

function validate(options: PostgresUpsertSinkOptions): void {
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object');
  if (typeof options.connectionString !== 'string' || options.connectionString === '')
    throw invalid('connectionString', 'must be a non-empty string');
  if (!validName(options.table))
    throw invalid('table', `is not a table name: ${JSON.stringify(options.table)}`);
  if (!Array.isArray(options.key) || options.key.length === 0 || !options.key.every(validName))
    throw invalid('key', 'must be a non-empty array of column names');
  if (new Set(options.key).size !== options.key.length) throw invalid('key', 'names a column twice');
  if (options.columns !== undefined) {
    if (!Array.isArray(options.columns) || options.columns.length === 0 || !options.columns.every(validName))
      throw invalid('columns', 'must be a non-empty array of column names');
    for (const k of options.key)
      if (!options.columns.includes(k)) throw invalid('columns', `must include the key column ${k}`);
  }
  if (options.offsetsTable !== undefined && !validName(options.offsetsTable))
    throw invalid('offsetsTable', `is not a table name: ${JSON.stringify(options.offsetsTable)}`);
}

function failed(message: string, details: Record<string, unknown>): EngineError {
  return new EngineError('CONNECTOR_FAILED', message, { details, retryable: false });
}

/**
 * A sink that upserts JSON object values as rows of a PostgreSQL table keyed by `key` (a null value
 * deletes the key) and commits them together with its positions: 'transactional' (see upsert-writer.ts).
 *
 * `open` resolves the table (CONNECTOR_FAILED, not retryable, naming the table when it is missing, a
 * key or listed column does not exist, or no unique index covers exactly the key), creates the offsets
 * table if needed and returns a writer holding one connection.
 */
export function postgresUpsertSink(options: PostgresUpsertSinkOptions): SinkConnector {
  validate(options);
  const table = parseTableName(options.table);
  const details = { connector: CONNECTOR, table: options.table };

  async function resolve(client: pg.Client): Promise<UpsertTarget> {
    const found = await client.query<{ oid: number; schema: string }>(
      `SELECT c.oid, n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND n.nspname = coalesce($2::text, current_schema())`,
      [table.name, table.schema ?? null],
    );
    const relation = found.rows[0];
    if (relation === undefined)
      throw failed(`postgres-upsert: table ${options.table} does not exist`, details);
    const columnRows = await client.query<{ name: string; type: string; json: boolean }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, atttypid IN (114, 3802) AS json
         FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [relation.oid],
    );
    const all = new Map<string, TableColumn>(columnRows.rows.map((row) => [row.name, row]));
    const missing = [...options.key, ...(options.columns ?? [])].filter((name) => !all.has(name));
    if (missing.length > 0)
      throw failed(`postgres-upsert: table ${options.table} has no column ${missing.join(', ')}`, details);
    const unique = await client.query<{ columns: string[] }>(
      `SELECT array_agg(a.attname::text) AS columns FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL GROUP BY i.indexrelid`,
      [relation.oid],
    );
    const keySet = new Set(options.key);
    const covered = unique.rows.some(
      (row) => row.columns.length === keySet.size && row.columns.every((c) => keySet.has(c)),
    );
    if (!covered)
      throw failed(
        `postgres-upsert: table ${options.table} has no unique index on exactly (${options.key.join(', ')})`,
        details,
      );
    const columns =
      options.columns === undefined
        ? all
        : new Map(options.columns.map((name) => [name, all.get(name)!] as const));
    const offsets: TableName =
      options.offsetsTable === undefined
        ? { schema: relation.schema, name: 'rivulet_sink_offsets' }
        : parseTableName(options.offsetsTable);
    const quotedOffsets = quoteTable(offsets);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${quotedOffsets} (pipeline text NOT NULL, sink text NOT NULL,
           partition integer NOT NULL, next_offset bigint NOT NULL, PRIMARY KEY (pipeline, sink, partition))`,
      );
    } catch (error) {
      // Two writers creating it at once: one wins, the other sees a duplicate.
      const code = (error as { code?: string }).code;
      if (code !== '23505' && code !== '42P07') throw error;
    }
    return {
      name: options.table,
      quotedTable: `${quoteIdentifier(relation.schema)}.${quoteIdentifier(table.name)}`,
      quotedOffsets,
      columns,
      key: options.key.map((name) => all.get(name)!),
    };
  }

  return {
    kind: 'sink-connector',
    connector: CONNECTOR,
    guarantee: 'transactional',
    async open(context: SinkContext): Promise<SinkWriter> {
      const client = new pg.Client({
        connectionString: options.connectionString,
        connectionTimeoutMillis: 10_000,
      });
      // Errors of an idle connection before the writer takes it over must not crash the process.
      const ignore = () => undefined;
      client.on('error', ignore);
      try {
        await client.connect();
        const target = await resolve(client);
        client.off('error', ignore);
        return new UpsertWriter(client, target, context);
      } catch (error) {
        await client.end().catch(() => undefined);
        throw toEngineError(error, `postgres-upsert: cannot open ${options.table}`, details);
      }
    },
  };
}
