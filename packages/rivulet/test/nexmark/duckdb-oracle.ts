/**
 * The DuckDB oracle for the Nexmark queries: our own DuckDB translation of each reference query
 * (q0–q23, one SELECT per file in `./duckdb/qN.sql`), run over the same recorded events the
 * streaming engine consumed, so that the engine's output can be compared with it as a multiset.
 *
 * Contract:
 * - `openNexmarkOracle(path)` loads a JSONL file of flat Nexmark events (one per line, tagged by
 *   `type`: 'person' | 'auction' | 'bid'; see src/nexmark/nexmark-event.ts) into a fresh in-memory
 *   DuckDB instance. File order is stream order: every event gets `seq` (1, 2, ... in file order),
 *   which the queries use to break ties deterministically. An event with any other `type` is
 *   rejected. The views `person`, `auction` and `bid` carry their fields plus `seq`; the table
 *   `side_input(key, value)` holds (i, i) for i = 0..9999 (q13's side input).
 * - `query(name, params)` runs query `name` ('q0'..'q23'). `$watermark` (the final event-time
 *   watermark of the stream run, epoch ms) and `$processingWindowStart` (q12 only) are substituted as
 *   integer literals; a query that mentions a parameter that is not supplied is rejected. Rows come
 *   back as plain objects keyed by column name in column order: integer columns become JS numbers
 *   (an integer outside the safe range throws), DOUBLE becomes a number, VARCHAR a string, NULL null.
 *   Any other column type throws: cast it in the SQL instead.
 * - `sql(name)` returns the query text as written (parameters not substituted).
 * - `close()` releases the DuckDB instance; the oracle is unusable afterwards.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, DuckDBTypeId, type DuckDBValue } from '@duckdb/node-api';

export interface NexmarkQueryParams {
  /** The final event-time watermark of the stream run (epoch ms). Windows with end <= it are closed. */
  readonly watermark: number;
  /** Start (epoch ms) of the single processing-time window q12 assumes. Required by q12 only. */
  readonly processingWindowStart?: number;
}

export interface NexmarkOracle {
  query(name: string, params: NexmarkQueryParams): Promise<Array<Record<string, unknown>>>;
  sql(name: string): string;
  close(): void;
}

export const NEXMARK_QUERY_NAMES: readonly string[] = Array.from({ length: 24 }, (_, i) => `q${i}`);

const SQL_DIR = join(import.meta.dirname, 'duckdb');

/** Every field of every event kind, read with an explicit type so that absent fields are NULL. */
const EVENT_COLUMNS: Readonly<Record<string, 'BIGINT' | 'VARCHAR'>> = {
  type: 'VARCHAR',
  id: 'BIGINT',
  name: 'VARCHAR',
  emailAddress: 'VARCHAR',
  creditCard: 'VARCHAR',
  city: 'VARCHAR',
  state: 'VARCHAR',
  itemName: 'VARCHAR',
  description: 'VARCHAR',
  initialBid: 'BIGINT',
  reserve: 'BIGINT',
  expires: 'BIGINT',
  seller: 'BIGINT',
  category: 'BIGINT',
  auction: 'BIGINT',
  bidder: 'BIGINT',
  price: 'BIGINT',
  channel: 'VARCHAR',
  url: 'VARCHAR',
  dateTime: 'BIGINT',
  extra: 'VARCHAR',
};

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function schemaStatements(eventsPath: string): string[] {
  const columns = Object.entries(EVENT_COLUMNS)
    .map(([name, type]) => `"${name}": '${type}'`)
    .join(', ');
  return [
    // seq numbers the events in file order. DuckDB keeps insertion order by default
    // (preserve_insertion_order = true), and ROW_NUMBER() OVER () runs as an order-preserving
    // streaming window over the scan, so seq follows the file even when the scan is parallel.
    // The oracle test checks this on a file large enough to be read in several chunks.
    `CREATE TABLE events AS
       SELECT row_number() OVER () AS seq, *
       FROM read_json(${sqlString(eventsPath)}, format = 'newline_delimited', columns = {${columns}})`,
    `CREATE VIEW person AS
       SELECT seq, id, name, emailAddress, creditCard, city, state, dateTime, extra
       FROM events WHERE type = 'person'`,
    `CREATE VIEW auction AS
       SELECT seq, id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra
       FROM events WHERE type = 'auction'`,
    `CREATE VIEW bid AS
       SELECT seq, auction, bidder, price, channel, url, dateTime, extra
       FROM events WHERE type = 'bid'`,
    'CREATE TABLE side_input AS SELECT i AS key, i AS value FROM range(0, 10000) AS r(i)',
  ];
}

function checkQueryName(name: string): void {
  if (!NEXMARK_QUERY_NAMES.includes(name)) {
    throw new Error(`unknown Nexmark query '${name}' (expected one of q0..q23)`);
  }
}

function readQuerySql(name: string): string {
  checkQueryName(name);
  return readFileSync(join(SQL_DIR, `${name}.sql`), 'utf8');
}

/** Replaces `$name` placeholders with integer literals; throws on an unknown or missing parameter. */
function substituteParams(name: string, sql: string, params: NexmarkQueryParams): string {
  const values: Record<string, number | undefined> = {
    watermark: params.watermark,
    processingWindowStart: params.processingWindowStart,
  };
  return sql.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, param: string) => {
    if (!Object.hasOwn(values, param)) throw new Error(`${name}: unknown parameter $${param}`);
    const value = values[param];
    if (value === undefined) throw new Error(`${name}: parameter $${param} is required`);
    if (!Number.isSafeInteger(value))
      throw new Error(`${name}: $${param} must be a safe integer, got ${value}`);
    return String(value);
  });
}

const INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

function toJs(value: DuckDBValue, typeId: DuckDBTypeId, column: string, query: string): unknown {
  if (value === null) return null;
  if (INTEGER_TYPES.has(typeId)) {
    const n = Number(value as bigint | number);
    if (!Number.isSafeInteger(n) || BigInt(n) !== BigInt(value as bigint | number)) {
      throw new Error(`${query}.${column}: integer ${String(value)} is outside the safe range`);
    }
    return n;
  }
  if (typeId === DuckDBTypeId.DOUBLE || typeId === DuckDBTypeId.FLOAT) return value as number;
  if (typeId === DuckDBTypeId.VARCHAR) return value as string;
  if (typeId === DuckDBTypeId.BOOLEAN) return value as boolean;
  throw new Error(`${query}.${column}: unsupported column type ${DuckDBTypeId[typeId]}; cast it in the SQL`);
}

async function runQuery(
  connection: DuckDBConnection,
  name: string,
  params: NexmarkQueryParams,
): Promise<Array<Record<string, unknown>>> {
  const reader = await connection.runAndReadAll(substituteParams(name, readQuerySql(name), params));
  const names = reader.columnNames();
  const typeIds = reader.columnTypes().map((type) => type.typeId);
  if (new Set(names).size !== names.length) throw new Error(`${name}: duplicate column names ${names}`);
  return reader.getRows().map((row) => {
    const object: Record<string, unknown> = {};
    names.forEach((column, i) => {
      object[column] = toJs(row[i] ?? null, typeIds[i]!, column, name);
    });
    return object;
  });
}

export async function openNexmarkOracle(eventsJsonl: string): Promise<NexmarkOracle> {
  const instance = await DuckDBInstance.create(':memory:');
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    for (const statement of schemaStatements(eventsJsonl)) await connection.run(statement);
    const unknown = await connection.runAndReadAll(
      "SELECT seq, type FROM events WHERE type IS NULL OR type NOT IN ('person', 'auction', 'bid') LIMIT 1",
    );
    const bad = unknown.getRows()[0];
    if (bad) throw new Error(`${eventsJsonl}: event #${bad[0]} has unknown type ${JSON.stringify(bad[1])}`);
  } catch (error) {
    connection?.closeSync();
    instance.closeSync();
    throw error;
  }
  const open = connection;
  let closed = false;
  return {
    query(name, params) {
      if (closed) return Promise.reject(new Error('the Nexmark oracle is closed'));
      return runQuery(open, name, params);
    },
    sql: readQuerySql,
    close() {
      if (closed) return;
      closed = true;
      open.closeSync();
      instance.closeSync();
    },
  };
}
