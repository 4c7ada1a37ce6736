import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ConnectorRecord, isEngineError, type SourceReader } from 'rivulet/connector';
import { postgresCdcSource } from '../src/index.ts';
import {
  dropSlot,
  privatePostgres,
  stopPrivatePostgres,
  uniqueName,
  withClient,
} from './postgres-harness.ts';
import type { PrivatePostgres } from './private-postgres.ts';

let server: PrivatePostgres;
before(async () => {
  server = await privatePostgres();
});
after(() => stopPrivatePostgres());

const text = (bytes: Uint8Array | undefined | null): string => Buffer.from(bytes ?? []).toString('utf8');

async function readN(reader: SourceReader, n: number, ms = 10_000): Promise<ConnectorRecord[]> {
  const out: ConnectorRecord[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n && Date.now() < deadline)
    out.push(...(await reader.poll(n - out.length, 100)).records);
  return out;
}

async function slotConfirmed(slot: string): Promise<string> {
  return withClient(server.connectionString, async (client) => {
    const result = await client.query<{ lsn: string }>(
      'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    return result.rows[0]!.lsn;
  });
}

describe('postgresCdcSource options', () => {
  const good = { connectionString: 'postgres://x@127.0.0.1/db', slot: 's1', publication: 'p1' };
  const cases: Array<[string, Record<string, unknown>]> = [
    ['connectionString', { connectionString: '' }],
    ['slot', { slot: 'Bad-Slot' }],
    ['slot', { slot: 'x'.repeat(64) }],
    ['publication', { publication: "p'; drop table t; --" }],
    ['tables', { tables: [] }],
    ['tables', { tables: ['a\0b'] }],
    ['valueShape', { valueShape: 'rows' }],
    ['maxReadAheadBytes', { maxReadAheadBytes: 10 }],
  ];
  for (const [option, override] of cases)
    test(`refuses a bad ${option}: ${JSON.stringify(override)}`, () => {
      assert.throws(
        () => postgresCdcSource({ ...good, ...override } as never),
        (error: unknown) =>
          isEngineError(error, 'INVALID_ARGUMENT') &&
          error.message.includes(option) &&
          error.details.option === option,
      );
    });
});

describe('postgresCdcSource against a private cluster', () => {
  test('change values: insert, update and delete with before/after (REPLICA IDENTITY FULL), key, headers, timestamp', async () => {
    const table = uniqueName('orders');
    const slot = uniqueName('slot');
    const publication = uniqueName('pub');
    await withClient(server.connectionString, async (client) => {
      await client.query(
        `CREATE TABLE ${table} (id integer PRIMARY KEY, name text, qty bigint, price numeric, tags jsonb, ok boolean)`,
      );
      await client.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
    });
    const source = postgresCdcSource({
      connectionString: server.connectionString,
      slot,
      publication,
      tables: [table],
      createSlot: true,
      createPublication: true,
    });
    const [split] = await source.splits();
    const reader = await source.open(split!, undefined);
    try {
      const startedAt = Date.now();
      await withClient(server.connectionString, async (client) => {
        await client.query(`INSERT INTO ${table} VALUES (1, 'a', 5, 1.50, '{"x":[1,2]}', true)`);
        await client.query(`UPDATE ${table} SET name = 'b', qty = 6 WHERE id = 1`);
        await client.query(`DELETE FROM ${table} WHERE id = 1`);
      });
      const records = await readN(reader, 3);
      assert.equal(records.length, 3);
      const values = records.map((r) => JSON.parse(text(r.value)));
      const row1 = { id: 1, name: 'a', qty: 5, price: '1.50', tags: { x: [1, 2] }, ok: true };
      const row2 = { ...row1, name: 'b', qty: 6 };
      assert.deepEqual(
        values.map((v) => [v.op, v.schema, v.table, v.before, v.after]),
        [
          ['insert', 'public', table, null, row1],
          ['update', 'public', table, row1, row2],
          ['delete', 'public', table, row2, null],
        ],
      );
      for (const [i, record] of records.entries()) {
        assert.equal(text(record.key), '{"id":1}', 'key = JSON of the primary key (not the FULL identity)');
        assert.equal(text(record.headers?.get('rivulet.source.table')), `public.${table}`);
        assert.equal(text(record.headers?.get('rivulet.source.op')), values[i].op);
        assert.equal(text(record.headers?.get('rivulet.source.lsn')), values[i].lsn);
        assert.match(values[i].lsn, /^[0-9A-F]+\/[0-9A-F]+$/);
        assert.equal(record.timestamp, values[i].commitTime);
        assert.ok(Math.abs(record.timestamp - startedAt) < 60_000, 'timestamp is the commit time');
      }
      assert.ok(records[0]!.timestamp <= records[2]!.timestamp);
    } finally {
      await reader.close();
      await dropSlot(server.connectionString, slot);
      await withClient(server.connectionString, async (client) => {
        await client.query(`DROP PUBLICATION ${publication}`);
        await client.query(`DROP TABLE ${table}`);
      });
    }
  });

  test('default replica identity: update has no before image, delete has only the key', async () => {
    const table = uniqueName('plain');
    const slot = uniqueName('slot');
    const publication = uniqueName('pub');
    await withClient(server.connectionString, (client) =>
      client.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, name text)`),
    );
    const source = postgresCdcSource({
      connectionString: server.connectionString,
      slot,
      publication,
      tables: [`public.${table}`],
      createSlot: true,
      createPublication: true,
    });
    const reader = await source.open(slot, undefined);
    try {
      await withClient(server.connectionString, async (client) => {
        await client.query(`INSERT INTO ${table} VALUES (7, 'a')`);
        await client.query(`UPDATE ${table} SET name = 'b' WHERE id = 7`);
        await client.query(`DELETE FROM ${table} WHERE id = 7`);
      });
      const values = (await readN(reader, 3)).map((r) => JSON.parse(text(r.value)));
      assert.deepEqual(
        values.map((v) => [v.op, v.before, v.after]),
        [
          ['insert', null, { id: 7, name: 'a' }],
          ['update', null, { id: 7, name: 'b' }],
          ['delete', { id: 7 }, null],
        ],
      );
    } finally {
      await reader.close();
      await dropSlot(server.connectionString, slot);
      await withClient(server.connectionString, async (client) => {
        await client.query(`DROP PUBLICATION ${publication}`);
        await client.query(`DROP TABLE ${table}`);
      });
    }
  });

  test('positions: inside a transaction, exact resume; the slot is confirmed only by commit', async () => {
    const table = uniqueName('txn');
    const slot = uniqueName('slot');
    const publication = uniqueName('pub');
    await withClient(server.connectionString, async (client) => {
      await client.query(`CREATE TABLE ${table} (seq integer PRIMARY KEY)`);
      await client.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
      await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    });
    const source = postgresCdcSource({
      connectionString: server.connectionString,
      slot,
      publication,
      valueShape: 'row',
    });
    const seqOf = (r: ConnectorRecord) => (JSON.parse(text(r.value)) as { seq: number }).seq;
    const readers: SourceReader[] = [];
    try {
      const initial = await slotConfirmed(slot);
      // Two transactions of 5 rows each.
      await withClient(server.connectionString, async (client) => {
        await client.query(`INSERT INTO ${table} SELECT generate_series(0, 4)`);
        await client.query(`INSERT INTO ${table} SELECT generate_series(5, 9)`);
      });
      const reader = await source.open(slot, undefined);
      readers.push(reader);
      const first = { records: [] as ConnectorRecord[], position: '' };
      while (first.records.length < 3) {
        const batch = await reader.poll(3 - first.records.length, 5_000);
        first.records.push(...batch.records);
        first.position = batch.position;
      }
      assert.deepEqual(first.records.map(seqOf), [0, 1, 2]);
      assert.match(first.position, /^[0-9A-F]+\/[0-9A-F]+#3$/, 'a position inside a transaction');
      const second = await readN(reader, 5);
      assert.deepEqual(second.map(seqOf), [3, 4, 5, 6, 7]);
      // Read, not committed: the slot has not moved.
      assert.equal(await slotConfirmed(slot), initial);
      await reader.commit(first.position);
      await reader.close();

      // Reopen at a position inside the first transaction: exactly what followed it.
      const again = await source.open(slot, first.position);
      readers.push(again);
      const rest = await readN(again, 7);
      assert.deepEqual(rest.map(seqOf), [3, 4, 5, 6, 7, 8, 9]);
      const none = await again.poll(10, 300);
      assert.equal(none.records.length, 0);
      assert.doesNotMatch(none.position, /#/, 'all of the last transaction was returned');
      await again.commit(none.position);
      // The standby status update is asynchronous: wait for the slot to move past the first commit.
      const deadline = Date.now() + 10_000;
      while ((await slotConfirmed(slot)) === initial && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.notEqual(await slotConfirmed(slot), initial, 'commit confirmed the flush LSN');
      await again.close();

      // A position the slot already confirmed past cannot be resumed from.
      await assert.rejects(source.open(slot, first.position), (error: unknown) =>
        isEngineError(error, 'SOURCE_POSITION_INVALID'),
      );
      for (const bad of ['nonsense', '0/1#0', '0/1#x', 'G/1', '1/2/3'])
        await assert.rejects(source.open(slot, bad), (error: unknown) =>
          isEngineError(error, 'SOURCE_POSITION_INVALID'),
        );
    } finally {
      for (const r of readers) await r.close();
      await dropSlot(server.connectionString, slot);
      await withClient(server.connectionString, async (client) => {
        await client.query(`DROP PUBLICATION ${publication}`);
        await client.query(`DROP TABLE ${table}`);
      });
    }
  });

  test('kill -9 of the server mid-stream: reopened at the committed position, every later change exactly once', async () => {
    const table = uniqueName('crash');
    const slot = uniqueName('slot');
    const publication = uniqueName('pub');
    await withClient(server.connectionString, async (client) => {
      await client.query(`CREATE TABLE ${table} (seq integer PRIMARY KEY)`);
      await client.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
      await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
      // 20 transactions of 10 rows.
      for (let t = 0; t < 20; t++)
        await client.query(`INSERT INTO ${table} SELECT generate_series($1::int, $1::int + 9)`, [t * 10]);
    });
    const source = postgresCdcSource({
      connectionString: server.connectionString,
      slot,
      publication,
      valueShape: 'row',
    });
    const seqOf = (r: ConnectorRecord) => (JSON.parse(text(r.value)) as { seq: number }).seq;
    const reader = await source.open(slot, undefined);
    try {
      // Read exactly 55 (ending inside the sixth transaction) and commit there.
      const committed: ConnectorRecord[] = [];
      let position = '';
      while (committed.length < 55) {
        const batch = await reader.poll(55 - committed.length, 5_000);
        committed.push(...batch.records);
        position = batch.position;
      }
      assert.deepEqual(
        committed.map(seqOf),
        Array.from({ length: 55 }, (_, i) => i),
      );
      assert.match(position, /#5$/);
      await reader.commit(position);
      const uncommitted = await readN(reader, 45); // read, never committed
      assert.equal(uncommitted.length, 45);
      server.kill();
      await reader.close();
      await server.restart();
      const again = await source.open(slot, position);
      try {
        const rest = await readN(again, 145);
        assert.deepEqual(
          rest.map(seqOf),
          Array.from({ length: 145 }, (_, i) => 55 + i),
        );
        assert.equal((await again.poll(10, 300)).records.length, 0, 'nothing twice');
      } finally {
        await again.close();
      }
    } finally {
      await reader.close();
      await dropSlot(server.connectionString, slot);
      await withClient(server.connectionString, async (client) => {
        await client.query(`DROP PUBLICATION ${publication}`);
        await client.query(`DROP TABLE ${table}`);
      });
    }
  });

  test('missing slot or publication: CONNECTOR_FAILED, not retryable, naming it', async () => {
    const source = postgresCdcSource({
      connectionString: server.connectionString,
      slot: uniqueName('nope'),
      publication: uniqueName('nope'),
    });
    await assert.rejects(
      source.open((await source.splits())[0]!, undefined),
      (error: unknown) =>
        isEngineError(error, 'CONNECTOR_FAILED') &&
        !error.retryable &&
        /publication nope_/.test(error.message),
    );
  });

  test('unreachable server: CONNECTOR_UNAVAILABLE (retryable)', async () => {
    const source = postgresCdcSource({
      connectionString: 'postgres://postgres@127.0.0.1:1/x',
      slot: 's',
      publication: 'p',
    });
    await assert.rejects(
      source.open('s', undefined),
      (error: unknown) => isEngineError(error, 'CONNECTOR_UNAVAILABLE') && error.retryable,
    );
  });

  test('a table name with an injection attempt is quoted, never executed', async () => {
    const victim = uniqueName('victim');
    const slot = uniqueName('slot');
    const publication = uniqueName('pub');
    await withClient(server.connectionString, (client) =>
      client.query(`CREATE TABLE ${victim} (id integer)`),
    );
    try {
      const source = postgresCdcSource({
        connectionString: server.connectionString,
        slot,
        publication,
        tables: [`x"; DROP TABLE ${victim}; --`],
        createSlot: true,
        createPublication: true,
      });
      await assert.rejects(
        source.open(slot, undefined),
        (error: unknown) =>
          isEngineError(error, 'CONNECTOR_FAILED') &&
          !error.retryable &&
          /does not exist/.test(error.message),
      );
      const exists = await withClient(server.connectionString, (client) =>
        client.query('SELECT 1 FROM pg_class WHERE relname = $1', [victim]),
      );
      assert.equal(exists.rowCount, 1, 'the other table is still there');
    } finally {
      await dropSlot(server.connectionString, slot);
      await withClient(server.connectionString, (client) => client.query(`DROP TABLE ${victim}`));
    }
  });
});
