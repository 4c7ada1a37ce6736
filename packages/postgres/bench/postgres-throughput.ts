import { randomBytes } from 'node:crypto';
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import type { SinkRecord } from 'rivulet/connector';
import { postgresCdcSource, postgresUpsertSink } from '../src/index.ts';
import { SHARED_POSTGRES, withClient } from '../test/postgres-harness.ts';
import { startPrivatePostgres } from '../test/private-postgres.ts';

const BATCH = 1_000;
/** Each case runs this many times, alternating which side goes first; the median is reported. */
const ROUNDS = 3;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
const PAD = 'x'.repeat(1024);

function name(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Inserts `records` rows `(key, seq, pad)` in transactions of BATCH rows. */
async function insertRows(connectionString: string, table: string, records: number): Promise<void> {
  await withClient(connectionString, async (client) => {
    for (let from = 0; from < records; from += BATCH) {
      const count = Math.min(BATCH, records - from);
      await client.query(
        `INSERT INTO ${table} (key, seq, pad) SELECT 'k' || (s % 97), s, $3 FROM generate_series($1::int, $2::int) AS s`,
        [from, from + count - 1, PAD],
      );
    }
  });
}

/** The CDC source's open/poll/commit loop over `records` changes already in the slot. */
async function connectorSource(connectionString: string, slot: string, publication: string, records: number) {
  const source = postgresCdcSource({ connectionString, slot, publication });
  const started = process.hrtime.bigint();
  const reader = await source.open(slot, undefined);
  let seen = 0;
  let uncommitted = 0;
  while (seen < records) {
    const batch = await reader.poll(BATCH, 1_000);
    seen += batch.records.length;
    uncommitted += batch.records.length;
    // Like the engine, which commits per checkpoint rather than per poll: about every BATCH records.
    if (uncommitted >= BATCH || seen >= records) {
      await reader.commit(batch.position);
      uncommitted = 0;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await reader.close();
  return records / seconds;
}

/** pg-logical-replication used directly: pgoutput, one acknowledgement per transaction. */
async function bareSource(connectionString: string, slot: string, publication: string, records: number) {
  const service = new LogicalReplicationService(
    { connectionString },
    { acknowledge: { auto: false, timeoutSeconds: 0 } },
  );
  const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] });
  const started = process.hrtime.bigint();
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    service.on('data', (lsn: string, message: Pgoutput.Message) => {
      if (message.tag === 'insert') {
        // Comparable work to a record: serialise the row.
        JSON.stringify(message.new);
        seen++;
      } else if (message.tag === 'commit') {
        void service.acknowledge(lsn);
        if (seen >= records) resolve();
      }
    });
    service.on('error', reject);
    service.subscribe(plugin, slot).catch(reject);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await service.destroy();
  return records / seconds;
}

function sinkRecords(from: number, count: number): SinkRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    const key = `k${seq}`;
    return {
      key: Buffer.from(key),
      value: Buffer.from(JSON.stringify({ key, seq, pad: PAD })),
      timestamp: seq,
      headers: undefined,
      partition: 0,
      offset: seq,
      id: `bench/sink/0/${seq}`,
    };
  });
}

async function connectorSink(connectionString: string, table: string, records: number) {
  const sink = postgresUpsertSink({ connectionString, table, key: ['key'] });
  const all = sinkRecords(0, records);
  const started = process.hrtime.bigint();
  const writer = await sink.open({ pipeline: 'bench', name: 'sink', partitions: 1 });
  for (let from = 0; from < records; from += BATCH) {
    const batch = all.slice(from, from + BATCH);
    await writer.write(batch);
    await writer.commit(new Map([[0, from + batch.length]]));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await writer.close();
  return records / seconds;
}

/** pg used directly: BEGIN, one multi-row INSERT ... ON CONFLICT of BATCH rows, COMMIT. */
async function bareSink(connectionString: string, table: string, records: number) {
  const all = sinkRecords(0, records);
  const started = process.hrtime.bigint();
  await withClient(connectionString, async (client) => {
    for (let from = 0; from < records; from += BATCH) {
      const batch = all.slice(from, from + BATCH);
      const params: unknown[] = [];
      const tuples: string[] = [];
      for (const r of batch) {
        const row = JSON.parse(Buffer.from(r.value!).toString()) as { key: string; seq: number; pad: string };
        params.push(row.key, row.seq, row.pad);
        tuples.push(`($${params.length - 2},$${params.length - 1},$${params.length})`);
      }
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO ${table} (key, seq, pad) VALUES ${tuples.join(',')}
         ON CONFLICT (key) DO UPDATE SET seq = EXCLUDED.seq, pad = EXCLUDED.pad`,
        params,
      );
      await client.query('COMMIT');
    }
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return records / seconds;
}

/**
 * Records/s through the connector versus the same client libraries used bare, 1 KiB values: the CDC
 * source on a private wal_level=logical cluster (both read the same inserts through their own slot),
 * the upsert sink on the shared server (separate fresh tables). Median of ROUNDS alternating runs,
 * since these machines are shared.
 */
export async function connectorThroughput(options: {
  records: number;
}): Promise<Array<{ case: string; connectorPerSec: number; barePerSec: number }>> {
  const { records } = options;
  const results: Array<{ case: string; connectorPerSec: number; barePerSec: number }> = [];

  const server = await startPrivatePostgres();
  try {
    const table = name('bench_cdc');
    const publication = name('pub');
    const slots = Array.from({ length: 2 * ROUNDS }, () => name('slot'));
    await withClient(server.connectionString, async (client) => {
      await client.query(`CREATE TABLE ${table} (key text NOT NULL, seq integer PRIMARY KEY, pad text)`);
      await client.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
      for (const slot of slots)
        await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    });
    await insertRows(server.connectionString, table, records);
    const connector: number[] = [];
    const bare: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so neither always gets the warmer cache.
      const c = () => connectorSource(server.connectionString, slots[2 * round]!, publication, records);
      const b = () => bareSource(server.connectionString, slots[2 * round + 1]!, publication, records);
      if (round % 2 === 0) {
        connector.push(await c());
        bare.push(await b());
      } else {
        bare.push(await b());
        connector.push(await c());
      }
    }
    results.push({
      case: 'cdc-source-in-1KiB',
      connectorPerSec: median(connector),
      barePerSec: median(bare),
    });
  } finally {
    await server.stop();
  }

  const schema = name('bench_sink');
  await withClient(SHARED_POSTGRES, (client) => client.query(`CREATE SCHEMA ${schema}`));
  try {
    const connector: number[] = [];
    const bare: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await withClient(SHARED_POSTGRES, async (client) => {
        for (const t of ['connector', 'bare'])
          await client.query(
            `CREATE TABLE ${schema}.${t}${round} (key text PRIMARY KEY, seq integer, pad text)`,
          );
      });
      const c = () => connectorSink(SHARED_POSTGRES, `${schema}.connector${round}`, records);
      const b = () => bareSink(SHARED_POSTGRES, `${schema}.bare${round}`, records);
      if (round % 2 === 0) {
        bare.push(await b());
        connector.push(await c());
      } else {
        connector.push(await c());
        bare.push(await b());
      }
    }
    results.push({
      case: 'upsert-sink-out-1KiB',
      connectorPerSec: median(connector),
      barePerSec: median(bare),
    });
  } finally {
    await withClient(SHARED_POSTGRES, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
  }
  return results;
}
