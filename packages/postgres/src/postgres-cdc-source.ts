import pg from 'pg';
import { EngineError, type SourceConnector, type SourceFeatures, type SourceReader } from 'rivulet/connector';
import { CdcPosition } from './cdc-position.ts';
import { CdcReader } from './cdc-reader.ts';
import type { ValueShape } from './change-record.ts';
import { parseLsn } from './lsn.ts';
import { toEngineError } from './pg-error.ts';
import { parseTableName, quoteTable } from './quote-identifier.ts';

export interface PostgresCdcSourceOptions {
  /** libpq-style URL, e.g. `postgres://user@host:5432/db`. The server needs `wal_level=logical`. */
  readonly connectionString: string;
  /** The logical replication slot (pgoutput) this source reads and confirms: `[a-z0-9_]{1,63}`. */
  readonly slot: string;
  /** The publication naming the captured tables: `[a-z_][a-z0-9_]{0,62}`. */
  readonly publication: string;
  /**
   * Tables to capture, `name` (schema public) or `schema.name`, taken literally (case-sensitive). With
   * `createPublication` they make the publication (default: FOR ALL TABLES); otherwise they filter it.
   */
  readonly tables?: readonly string[];
  /** Create the slot when it does not exist (it then captures changes from its creation on). */
  readonly createSlot?: boolean;
  /** Create the publication when it does not exist. */
  readonly createPublication?: boolean;
  /** `change` (default): the change envelope; `row`: the after-image, null on delete (a tombstone). */
  readonly valueShape?: ValueShape;
  /** Bound on changes read ahead of `poll` (default 4 MiB); beyond it the socket is paused. */
  readonly maxReadAheadBytes?: number;
}

const FEATURES: SourceFeatures = Object.freeze({
  ordered: true,
  persistent: true,
  positioned: true,
  replay: 'exactly-once',
});

const SLOT_NAME = /^[a-z0-9_]{1,63}$/;
const PUBLICATION_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function invalid(option: string, message: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `postgresCdcSource: option '${option}' ${message}`, {
    details: { connector: 'postgres-cdc', option },
  });
}

function validate(options: PostgresCdcSourceOptions): void {
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object');
  if (typeof options.connectionString !== 'string' || options.connectionString === '')
    throw invalid('connectionString', 'must be a non-empty string');
  if (typeof options.slot !== 'string' || !SLOT_NAME.test(options.slot))
    throw invalid('slot', `must match ${SLOT_NAME} (got ${JSON.stringify(options.slot)})`);
  if (typeof options.publication !== 'string' || !PUBLICATION_NAME.test(options.publication))
    throw invalid(
      'publication',
      `must match ${PUBLICATION_NAME} (got ${JSON.stringify(options.publication)})`,
    );
  if (options.tables !== undefined) {
    if (!Array.isArray(options.tables) || options.tables.length === 0)
      throw invalid('tables', 'must be a non-empty array of table names');
    for (const table of options.tables)
      if (typeof table !== 'string' || table === '' || table.includes('\0') || table.endsWith('.'))
        throw invalid('tables', `has an invalid table name ${JSON.stringify(table)}`);
  }
  if (options.valueShape !== undefined && options.valueShape !== 'change' && options.valueShape !== 'row')
    throw invalid('valueShape', "must be 'change' or 'row'");
  if (
    options.maxReadAheadBytes !== undefined &&
    (!Number.isSafeInteger(options.maxReadAheadBytes) || options.maxReadAheadBytes < 64 * 1024)
  )
    throw invalid('maxReadAheadBytes', 'must be an integer >= 65536');
}

/**
 * A PostgreSQL change-data-capture source: one split (the slot), read through logical replication with
 * the pgoutput plugin. Each row change of the publication's tables is a record (see change-record.ts);
 * the position is the commit LSN of the last returned change's transaction plus its index within it
 * (cdc-position.ts), so a reopened reader resumes exactly after it: replay 'exactly-once'.
 *
 * Options are checked here (INVALID_ARGUMENT). `open` checks the slot and publication (creating them if
 * asked), refuses a position the slot has already confirmed past (SOURCE_POSITION_INVALID: that WAL may
 * be gone), and starts streaming.
 */
export function postgresCdcSource(options: PostgresCdcSourceOptions): SourceConnector {
  validate(options);
  const tables = options.tables?.map((table) => {
    const parsed = parseTableName(table);
    return { ...parsed, schema: parsed.schema ?? 'public' };
  });
  const details = { connector: 'postgres-cdc', slot: options.slot, publication: options.publication };
  const config = {
    connectionString: options.connectionString,
    slot: options.slot,
    publication: options.publication,
    tables: tables === undefined ? undefined : new Set(tables.map((t) => `${t.schema}.${t.name}`)),
    valueShape: options.valueShape ?? 'change',
    maxReadAheadBytes: options.maxReadAheadBytes ?? 4 * 1024 * 1024,
  };

  /** Checks (or creates) the publication and slot; returns the slot's confirmed flush LSN. */
  async function prepare(client: pg.Client): Promise<bigint> {
    const publication = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [
      options.publication,
    ]);
    if (publication.rowCount === 0) {
      if (options.createPublication !== true)
        throw new EngineError('CONNECTOR_FAILED', `publication ${options.publication} does not exist`, {
          details,
          retryable: false,
        });
      const target = tables === undefined ? 'ALL TABLES' : `TABLE ${tables.map(quoteTable).join(', ')}`;
      try {
        await client.query(`CREATE PUBLICATION ${options.publication} FOR ${target}`);
      } catch (error) {
        if ((error as { code?: string }).code !== '42710') throw error; // created concurrently
      }
    }
    const slotQuery =
      'SELECT plugin, confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1';
    let slot = await client.query<{ plugin: string | null; confirmed: string | null }>(slotQuery, [
      options.slot,
    ]);
    if (slot.rowCount === 0) {
      if (options.createSlot !== true)
        throw new EngineError('CONNECTOR_FAILED', `replication slot ${options.slot} does not exist`, {
          details,
          retryable: false,
        });
      try {
        await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [options.slot]);
      } catch (error) {
        if ((error as { code?: string }).code !== '42710') throw error;
      }
      slot = await client.query(slotQuery, [options.slot]);
    }
    const row = slot.rows[0];
    if (row === undefined || row.plugin !== 'pgoutput')
      throw new EngineError(
        'CONNECTOR_FAILED',
        `replication slot ${options.slot} is not a logical slot of plugin pgoutput (plugin ${row?.plugin})`,
        { details, retryable: false },
      );
    return parseLsn(row.confirmed ?? '0/0') ?? 0n;
  }

  return {
    kind: 'source-connector',
    connector: 'postgres-cdc',
    features: FEATURES,
    async splits() {
      return [options.slot];
    },
    async open(split: string, position: string | undefined): Promise<SourceReader> {
      if (split !== options.slot)
        throw new EngineError(
          'INVALID_ARGUMENT',
          `postgres-cdc has one split, ${options.slot}; got ${split}`,
          {
            details,
          },
        );
      const start = position === undefined ? undefined : CdcPosition.parse(position);
      if (position !== undefined && start === undefined)
        throw new EngineError(
          'SOURCE_POSITION_INVALID',
          `not a postgres-cdc position: ${JSON.stringify(position)}`,
          {
            details: { ...details, position },
          },
        );
      const client = new pg.Client({
        connectionString: options.connectionString,
        connectionTimeoutMillis: 10_000,
      });
      let confirmed: bigint;
      try {
        await client.connect();
        confirmed = await prepare(client);
      } catch (error) {
        throw toEngineError(error, `cannot prepare slot ${options.slot}`, details);
      } finally {
        await client.end().catch(() => undefined);
      }
      if (start !== undefined && start.flushLsn() < confirmed)
        throw new EngineError(
          'SOURCE_POSITION_INVALID',
          `position ${position} is before what slot ${options.slot} already confirmed; its changes may be gone`,
          { details: { ...details, position } },
        );
      const from = start ?? new CdcPosition(confirmed > 0n ? confirmed - 1n : 0n, undefined);
      return CdcReader.open(config, from, confirmed);
    },
  };
}
