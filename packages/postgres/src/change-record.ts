import type { Pgoutput } from 'pg-logical-replication';
import type { ConnectorRecord, Headers } from 'rivulet/connector';
import type { Utf8Arena } from './utf8-arena.ts';

export type RowChange = Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete;

/**
 * What a record's value holds: `change` = the change envelope `{ op, schema, table, before, after, lsn,
 * commitTime }`; `row` = the row itself (the after-image of an insert or update, null for a delete: a
 * tombstone), i.e. the table as a changelog keyed by its primary key.
 */
export type ValueShape = 'change' | 'row';

const OP_HEADERS = {
  insert: Buffer.from('insert'),
  update: Buffer.from('update'),
  delete: Buffer.from('delete'),
} as const;

/** `rivulet.source.table` bytes per relation object (pgoutput sends a new one when a table changes). */
const tableHeaders = new WeakMap<object, Uint8Array>();

function tableHeader(relation: Pgoutput.MessageRelation): Uint8Array {
  let bytes = tableHeaders.get(relation);
  if (bytes === undefined) {
    bytes = Buffer.from(`${relation.schema}.${relation.name}`);
    tableHeaders.set(relation, bytes);
  }
  return bytes;
}

/** A change waiting in the reader's read-ahead; `change` null marks the end (commit) of a transaction. */
export class PendingChange {
  constructor(
    readonly change: RowChange | null,
    /** The WAL position of the change itself (XLogData start), Postgres text form. */
    readonly lsn: string,
    /** The LSN of the transaction's commit record: orders transactions in the stream. */
    readonly commitLsn: bigint,
    /** The change's index within its transaction. */
    readonly index: number,
    readonly commitTime: number,
    /** Estimated memory held, for the read-ahead bound. */
    readonly bytes: number,
  ) {}
}

function pick(row: Record<string, unknown>, columns: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) out[column] = row[column] ?? null;
  return out;
}

/**
 * The record for one row change. Key: JSON of the key columns (the primary key, or the replica identity
 * index), null when the table has neither. Headers: `rivulet.source.table` (schema.table),
 * `rivulet.source.lsn`, `rivulet.source.op` (table and op bytes are shared between records: read-only).
 */
export function changeRecord(
  pending: PendingChange,
  keyColumns: readonly string[],
  shape: ValueShape,
  arena: Utf8Arena,
): ConnectorRecord {
  const change = pending.change!;
  const relation = change.relation;
  let op: 'insert' | 'update' | 'delete';
  let before: Record<string, unknown> | null;
  let after: Record<string, unknown> | null;
  if (change.tag === 'insert') {
    op = 'insert';
    before = null;
    after = change.new;
  } else if (change.tag === 'update') {
    op = 'update';
    before = change.old ?? change.key;
    after = change.new;
  } else {
    op = 'delete';
    before = change.old ?? change.key;
    after = null;
  }
  const keySource = after ?? before;
  const key =
    keyColumns.length === 0 || keySource === null
      ? null
      : arena.encode(JSON.stringify(pick(keySource, keyColumns)));
  const value =
    shape === 'row'
      ? after === null
        ? null
        : arena.encode(JSON.stringify(after))
      : arena.encode(
          JSON.stringify({
            op,
            schema: relation.schema,
            table: relation.name,
            before,
            after,
            lsn: pending.lsn,
            commitTime: pending.commitTime,
          }),
        );
  const headers: Headers = new Map([
    ['rivulet.source.table', tableHeader(relation)],
    ['rivulet.source.lsn', arena.encode(pending.lsn)],
    ['rivulet.source.op', OP_HEADERS[op]],
  ]);
  return { key, value, timestamp: pending.commitTime, headers };
}
