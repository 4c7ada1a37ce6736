import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SinkHarness, SourceHarness, StoredRecord } from 'rivulet/connector/conformance';
import { postgresCdcSource, postgresUpsertSink } from '../src/index.ts';
import { type PrivatePostgres, startPrivatePostgres } from './private-postgres.ts';

/** The shared local server (trust auth); its wal_level may not be logical, so CDC uses a private cluster. */
export const SHARED_POSTGRES = process.env.RIVULET_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let cluster: Promise<PrivatePostgres> | undefined;

/** The private wal_level=logical cluster the harnesses share in one process (started on first use). */
export function privatePostgres(): Promise<PrivatePostgres> {
  cluster ??= startPrivatePostgres().then((started) => {
    // The postmaster leads its own process group, so it would outlive a killed test process.
    process.once('exit', () => started.kill());
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        started.kill();
        process.kill(process.pid, signal);
      });
    return started;
  });
  return cluster;
}

/** Stops the private cluster, if one was started: call it from `after()`. */
export async function stopPrivatePostgres(): Promise<void> {
  const started = cluster;
  cluster = undefined;
  if (started !== undefined) await (await started).stop();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Runs `body` with a fresh connection (fixtures outlive server restarts, so no long-lived client). */
export async function withClient<T>(
  connectionString: string,
  body: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops a replication slot, waiting while a just-closed reader's walsender still holds it. */
export async function dropSlot(connectionString: string, slot: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await withClient(connectionString, (client) =>
        client.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
          [slot],
        ),
      );
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * CDC source fixtures on the private cluster: a table `(key text, seq int primary key, pad text)`, a
 * publication for it and a slot created before the source opens. The source runs with
 * `valueShape: 'row'`, so each inserted row's record value is the row itself, `{ key, seq, pad }`,
 * which is what the suite decodes (no adapter). `produce` inserts each call's records in one statement.
 */
export const postgresCdcHarness: SourceHarness = {
  features: { ordered: true, persistent: true, positioned: true, replay: 'exactly-once' },
  partitioned: false,
  // Record values are rows the source builds: an undecodable payload cannot be written.
  rawValues: false,
  restartable: true,
  timeoutMs: 60_000,
  async create() {
    const server = await privatePostgres();
    const table = uniqueName('cdc');
    const slot = uniqueName('slot');
    const publication = uniqueName('pub');
    await withClient(server.connectionString, async (client) => {
      await client.query(`CREATE TABLE ${table} (key text NOT NULL, seq integer PRIMARY KEY, pad text)`);
      await client.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
      await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    });
    return {
      source: postgresCdcSource({
        connectionString: server.connectionString,
        slot,
        publication,
        valueShape: 'row',
      }),
      async produce(records) {
        const rows = records.map((r) => JSON.parse(r.value) as { key: string; seq: number; pad: string });
        await withClient(server.connectionString, (client) =>
          client.query(
            `INSERT INTO ${table} (key, seq, pad)
             SELECT key, seq, pad FROM jsonb_to_recordset($1::jsonb) AS r(key text, seq integer, pad text)`,
            [JSON.stringify(rows)],
          ),
        );
      },
      restartServer: () => server.restart(),
      async close() {
        await dropSlot(server.connectionString, slot);
        await withClient(server.connectionString, async (client) => {
          await client.query(`DROP PUBLICATION IF EXISTS ${publication}`);
          await client.query(`DROP TABLE IF EXISTS ${table}`);
        });
      },
    };
  },
};

/**
 * Upsert sink fixtures: a fresh schema holding the table `(key text primary key, seq integer)` (and so
 * its own `rivulet_sink_offsets`, as the suite reuses one pipeline/sink name) on the shared server, or
 * on the private cluster when the case restarts the server. `readAll` reads the rows back with pg.
 */
export const postgresUpsertHarness: SinkHarness = {
  guarantee: 'transactional',
  upsert: true,
  ordered: true,
  structured: true,
  restartable: true,
  timeoutMs: 60_000,
  async create({ restartable }) {
    const server = restartable ? await privatePostgres() : undefined;
    const connectionString = server?.connectionString ?? SHARED_POSTGRES;
    const schema = uniqueName('sink');
    await withClient(connectionString, async (client) => {
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`CREATE TABLE ${schema}.rows (key text PRIMARY KEY, seq integer NOT NULL)`);
    });
    return {
      sink: postgresUpsertSink({ connectionString, table: `${schema}.rows`, key: ['key'] }),
      async readAll(): Promise<StoredRecord[]> {
        const result = await withClient(connectionString, (client) =>
          client.query<{ key: string; seq: number }>(`SELECT key, seq FROM ${schema}.rows ORDER BY key`),
        );
        return result.rows.map((row) => ({ key: row.key, value: { key: row.key, seq: row.seq } }));
      },
      ...(server === undefined ? {} : { restartServer: () => server.restart() }),
      async close() {
        await withClient(connectionString, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
      },
    };
  },
};
