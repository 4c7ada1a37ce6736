import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isEngineError, type SinkRecord } from 'rivulet/connector';
import { postgresUpsertSink } from '../src/index.ts';
import { SHARED_POSTGRES, uniqueName, withClient } from './postgres-harness.ts';

const context = { pipeline: 'p', name: 'out', partitions: 1 };

function record(offset: number, key: unknown, value: unknown): SinkRecord {
  return {
    key: key === null ? null : Buffer.from(typeof key === 'string' ? key : JSON.stringify(key)),
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    timestamp: 1_700_000_000_000 + offset,
    headers: undefined,
    partition: 0,
    offset,
    id: `p/out/0/${offset}`,
  };
}

let schema: string;
before(async () => {
  schema = uniqueName('upsert');
  await withClient(SHARED_POSTGRES, (client) => client.query(`CREATE SCHEMA ${schema}`));
});
after(async () => {
  await withClient(SHARED_POSTGRES, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
});

describe('postgresUpsertSink options', () => {
  const good = { connectionString: SHARED_POSTGRES, table: 't', key: ['id'] };
  const cases: Array<[string, Record<string, unknown>]> = [
    ['connectionString', { connectionString: '' }],
    ['table', { table: '' }],
    ['table', { table: 'a\0b' }],
    ['key', { key: [] }],
    ['key', { key: ['id', 'id'] }],
    ['columns', { columns: ['name'] }],
    ['offsetsTable', { offsetsTable: 'x.' }],
  ];
  for (const [option, override] of cases)
    test(`refuses a bad ${option}: ${JSON.stringify(override)}`, () => {
      assert.throws(
        () => postgresUpsertSink({ ...good, ...override } as never),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
      );
    });
});

describe('postgresUpsertSink against the shared server', () => {
  test('composite key, typed and json columns, keys from the record key, deletes, offsets in the same commit', async () => {
    const table = `${schema}.items`;
    await withClient(SHARED_POSTGRES, (client) =>
      client.query(
        `CREATE TABLE ${table} (tenant text, id integer, name text, qty bigint, doc jsonb, tags text[], PRIMARY KEY (tenant, id))`,
      ),
    );
    const sink = postgresUpsertSink({ connectionString: SHARED_POSTGRES, table, key: ['tenant', 'id'] });
    const writer = await sink.open(context);
    try {
      assert.deepEqual(await writer.committed(), new Map(), 'nothing committed yet');
      await writer.write([
        record(0, null, {
          tenant: 'a',
          id: 1,
          name: 'one',
          qty: 10,
          doc: { n: [1, 2] },
          tags: ['x', 'y'],
          extra: 1,
        }),
        // key columns taken from the JSON record key when the value lacks them
        record(1, { tenant: 'a', id: 2 }, { name: 'two', doc: [1, 'two'] }),
        record(2, null, { tenant: 'b', id: 1, name: 'gone' }),
        record(3, { tenant: 'b', id: 1 }, null),
        record(4, null, { tenant: 'a', id: 1, name: 'one!', qty: 11 }),
        // a delete then a value: the row starts afresh (no name left from before)
        record(5, null, { tenant: 'c', id: 9, name: 'old', qty: 1 }),
        record(6, { tenant: 'c', id: 9 }, null),
        record(7, null, { tenant: 'c', id: 9, qty: 2 }),
      ]);
      // Not visible before the commit.
      const before = await withClient(SHARED_POSTGRES, (client) => client.query(`SELECT * FROM ${table}`));
      assert.equal(before.rowCount, 0);
      await writer.commit(new Map([[0, 8]]));
      const rows = await withClient(SHARED_POSTGRES, (client) =>
        client.query(`SELECT tenant, id, name, qty, doc, tags FROM ${table} ORDER BY tenant, id`),
      );
      assert.deepEqual(rows.rows, [
        { tenant: 'a', id: 1, name: 'one!', qty: '11', doc: { n: [1, 2] }, tags: ['x', 'y'] },
        { tenant: 'a', id: 2, name: 'two', qty: null, doc: [1, 'two'], tags: null },
        { tenant: 'c', id: 9, name: null, qty: '2', doc: null, tags: null },
      ]);
      assert.deepEqual(await writer.committed(), new Map([[0, 8]]));
      // A key missing from both value and key is refused before anything is sent.
      await assert.rejects(
        writer.write([record(8, null, { tenant: 'c', id: 1 }), record(9, null, { tenant: 'c' })]),
        (error: unknown) => isEngineError(error, 'INVALID_RECORD') && error.details.index === 1,
      );
      await assert.rejects(
        writer.write([record(8, null, [1, 2])]),
        (error: unknown) => isEngineError(error, 'INVALID_RECORD') && error.details.index === 0,
      );
    } finally {
      await writer.close();
    }
  });

  test('a missing table: CONNECTOR_FAILED, not retryable, naming the table; injection attempts stay names', async () => {
    const victim = `${schema}.victim`;
    await withClient(SHARED_POSTGRES, (client) =>
      client.query(`CREATE TABLE ${victim} (id integer PRIMARY KEY)`),
    );
    for (const table of [`${schema}.missing`, `${schema}.victim"; DROP TABLE ${victim}; --`]) {
      const sink = postgresUpsertSink({ connectionString: SHARED_POSTGRES, table, key: ['id'] });
      await assert.rejects(
        sink.open(context),
        (error: unknown) =>
          isEngineError(error, 'CONNECTOR_FAILED') && !error.retryable && error.message.includes(table),
      );
    }
    const exists = await withClient(SHARED_POSTGRES, (client) =>
      client.query(`SELECT count(*) FROM ${victim}`),
    );
    assert.equal(exists.rowCount, 1, 'the victim table still exists');
  });

  test('a quoted odd table name works; a key without a unique index is refused', async () => {
    const odd = 'we"ird; name';
    await withClient(SHARED_POSTGRES, (client) =>
      client.query(`CREATE TABLE ${schema}."we""ird; name" ("the key" text PRIMARY KEY, "v""q" integer)`),
    );
    const sink = postgresUpsertSink({
      connectionString: SHARED_POSTGRES,
      table: `${schema}.${odd}`,
      key: ['the key'],
    });
    const writer = await sink.open(context);
    await writer.write([record(0, 'k', { 'v"q': 1 }), record(1, 'k', { 'v"q': 2 })]);
    await writer.commit(new Map([[0, 2]]));
    await writer.close();
    const rows = await withClient(SHARED_POSTGRES, (client) =>
      client.query(`SELECT * FROM ${schema}."we""ird; name"`),
    );
    assert.deepEqual(rows.rows, [{ 'the key': 'k', 'v"q': 2 }]);
    const noIndex = postgresUpsertSink({
      connectionString: SHARED_POSTGRES,
      table: `${schema}.${odd}`,
      key: ['v"q'],
    });
    await assert.rejects(
      noIndex.open(context),
      (error: unknown) =>
        isEngineError(error, 'CONNECTOR_FAILED') && !error.retryable && /unique index/.test(error.message),
    );
  });

  test('a value the server refuses fails the writer; the transaction is rolled back', async () => {
    const table = `${schema}.typed`;
    await withClient(SHARED_POSTGRES, (client) =>
      client.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, n integer)`),
    );
    const sink = postgresUpsertSink({ connectionString: SHARED_POSTGRES, table, key: ['id'] });
    const writer = await sink.open(context);
    await writer.write([record(0, null, { id: 1, n: 1 })]);
    await assert.rejects(writer.write([record(1, null, { id: 2, n: 'not a number' })]), (error: unknown) =>
      isEngineError(error, 'CONNECTOR_FAILED'),
    );
    await assert.rejects(writer.commit(new Map([[0, 2]])), (error: unknown) => isEngineError(error));
    await writer.close();
    const rows = await withClient(SHARED_POSTGRES, (client) => client.query(`SELECT * FROM ${table}`));
    assert.equal(rows.rowCount, 0, 'nothing of the failed transaction is visible');
  });
});
