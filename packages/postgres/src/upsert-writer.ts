import type pg from 'pg';
import { EngineError, type SinkContext, type SinkRecord, type SinkWriter } from 'rivulet/connector';
import { toEngineError } from './pg-error.ts';
import { bindValue, deleteSql, rowsPerStatement, type TableColumn, upsertSql } from './upsert-statement.ts';

/** What the sink resolved at open: the table, its columns, the key and where offsets go (all quoted). */
export interface UpsertTarget {
  /** The table as the user named it, for messages. */
  readonly name: string;
  readonly quotedTable: string;
  readonly quotedOffsets: string;
  /** Columns a value may fill, by name (the table's, or the `columns` option's). */
  readonly columns: ReadonlyMap<string, TableColumn>;
  /** The conflict key, in option order. */
  readonly key: readonly TableColumn[];
}

/** One row change after a write call's records are validated and compacted per key. */
class RowOp {
  constructor(
    /** null: delete the key. */
    readonly row: Record<string, unknown> | null,
    readonly keyValues: readonly unknown[],
    /** The key was deleted earlier in the call: delete before upserting, so the row starts afresh. */
    readonly deleteFirst: boolean,
  ) {}
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Writes upserts and deletes into one open transaction and commits them together with the sink's
 * positions (`rivulet_sink_offsets`), so after a crash the table holds exactly what the last commit
 * covered and `committed()` says where to replay from: 'transactional'.
 *
 * Ordering: a write call is compacted to one change per key with the same result as applying its
 * records in order (a value updates the columns it has; a delete then a value starts the row afresh):
 * all of it lands in one transaction, so nobody sees the steps between. Blocking: each call awaits its statements.
 * Failure: a record that is not a JSON object, or whose key cannot be found, is refused with
 * INVALID_RECORD before anything of the call is sent; any failure of a statement leaves the writer
 * broken (the transaction is lost with the connection): later calls reject, the engine reopens and
 * replays from `committed()`.
 */
export class UpsertWriter implements SinkWriter {
  private inTransaction = false;
  /** Statement text by shape (columns and row count): the same few shapes repeat on every write. */
  private readonly statements = new Map<string, string>();
  private broken: EngineError | undefined;

  constructor(
    private readonly client: pg.Client,
    private readonly target: UpsertTarget,
    private readonly context: SinkContext,
  ) {
    client.on('error', (error) => {
      this.broken ??= toEngineError(error, `connection to ${target.name} lost`, this.details());
    });
  }

  private details(extra?: Record<string, unknown>): Record<string, unknown> {
    return { connector: 'postgres-upsert', table: this.target.name, ...extra };
  }

  async committed(): Promise<ReadonlyMap<number, number> | undefined> {
    this.check();
    const result = await this.run<{ partition: number; next_offset: string }>(
      `SELECT partition, next_offset FROM ${this.target.quotedOffsets} WHERE pipeline = $1 AND sink = $2`,
      [this.context.pipeline, this.context.name],
    );
    return new Map(result.rows.map((row) => [row.partition, Number(row.next_offset)]));
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    this.check();
    const ops = this.compact(records);
    if (ops.size === 0) return;
    if (!this.inTransaction) {
      await this.run('BEGIN');
      this.inTransaction = true;
    }
    const deletes: RowOp[] = [];
    const upserts = new Map<string, { columns: TableColumn[]; rows: RowOp[] }>();
    for (const op of ops.values()) {
      if (op.row === null || op.deleteFirst) deletes.push(op);
      if (op.row === null) continue;
      const columns: TableColumn[] = [];
      for (const [name, column] of this.target.columns) if (name in op.row) columns.push(column);
      const signature = columns.map((c) => c.name).join('\0');
      let group = upserts.get(signature);
      if (group === undefined) {
        group = { columns, rows: [] };
        upserts.set(signature, group);
      }
      group.rows.push(op);
    }
    const key = this.target.key;
    const keyNames = key.map((c) => c.name);
    const perDelete = rowsPerStatement(key.length);
    for (let i = 0; i < deletes.length; i += perDelete) {
      const chunk = deletes.slice(i, i + perDelete);
      const params: unknown[] = [];
      for (const op of chunk)
        for (let k = 0; k < key.length; k++) params.push(bindValue(key[k]!, op.keyValues[k]));
      await this.run(deleteSql(this.target.quotedTable, key, chunk.length), params);
    }
    for (const [signature, { columns, rows }] of upserts) {
      const perStatement = rowsPerStatement(columns.length);
      for (let i = 0; i < rows.length; i += perStatement) {
        const chunk = rows.slice(i, i + perStatement);
        const params: unknown[] = [];
        for (const op of chunk)
          for (const column of columns) params.push(bindValue(column, op.row![column.name]));
        const shape = `${signature}\n${chunk.length}`;
        let sql = this.statements.get(shape);
        if (sql === undefined) {
          sql = upsertSql(this.target.quotedTable, columns, keyNames, chunk.length);
          if (this.statements.size > 256) this.statements.clear();
          this.statements.set(shape, sql);
        }
        await this.run(sql, params);
      }
    }
  }

  async commit(positions: ReadonlyMap<number, number>): Promise<void> {
    this.check();
    if (positions.size > 0) {
      const params: unknown[] = [this.context.pipeline, this.context.name];
      const tuples: string[] = [];
      for (const [partition, next] of positions) {
        params.push(partition, next);
        tuples.push(`($1, $2, $${params.length - 1}::integer, $${params.length}::bigint)`);
      }
      await this.run(
        `INSERT INTO ${this.target.quotedOffsets} (pipeline, sink, partition, next_offset) VALUES ${tuples.join(',')}
         ON CONFLICT (pipeline, sink, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset`,
        params,
      );
    }
    if (this.inTransaction) {
      await this.run('COMMIT');
      this.inTransaction = false;
    }
  }

  async close(): Promise<void> {
    // Ending the session rolls back whatever was written after the last commit.
    this.broken ??= new EngineError('CONNECTOR_FAILED', 'the writer is closed', { details: this.details() });
    await this.client.end().catch(() => undefined);
  }

  private check(): void {
    if (this.broken !== undefined) throw this.broken;
  }

  /** Runs a statement; any failure breaks the writer (the open transaction is unusable). */
  private async run<R extends pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.client.query<R>(sql, params);
    } catch (error) {
      const engineError = toEngineError(
        error,
        `postgres-upsert into ${this.target.name} failed`,
        this.details(),
      );
      this.broken = engineError;
      await this.client.end().catch(() => undefined);
      throw engineError;
    }
  }

  /** Validates every record (INVALID_RECORD with its index) and keeps the last change per key. */
  private compact(records: readonly SinkRecord[]): Map<string, RowOp> {
    const ops = new Map<string, RowOp>();
    const key = this.target.key;
    for (let index = 0; index < records.length; index++) {
      const record = records[index]!;
      let row: Record<string, unknown> | null = null;
      if (record.value !== null) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(decoder.decode(record.value));
        } catch (error) {
          throw this.invalid(index, record, 'its value is not JSON', error);
        }
        if (!isObject(parsed)) throw this.invalid(index, record, 'its value is not a JSON object');
        row = parsed;
      }
      let fromKey: Record<string, unknown> | undefined;
      const keyValues: unknown[] = new Array(key.length);
      for (let k = 0; k < key.length; k++) {
        const name = key[k]!.name;
        let value = row?.[name];
        if (value === undefined || value === null) {
          fromKey ??= this.keyObject(record);
          value = fromKey[name];
          if (row !== null && value !== undefined && value !== null) row[name] = value;
        }
        if (value === undefined || value === null)
          throw this.invalid(index, record, `key column ${name} is neither in its value nor in its key`);
        keyValues[k] = value;
      }
      const id = JSON.stringify(keyValues);
      const previous = ops.get(id);
      if (row === null || previous === undefined) ops.set(id, new RowOp(row, keyValues, false));
      else if (previous.row === null) ops.set(id, new RowOp(row, keyValues, true));
      else ops.set(id, new RowOp({ ...previous.row, ...row }, keyValues, previous.deleteFirst));
    }
    return ops;
  }

  /**
   * The key columns carried by the record key: a JSON object of them, or, for a one-column key, the
   * key's JSON scalar or else its UTF-8 text.
   */
  private keyObject(record: SinkRecord): Record<string, unknown> {
    if (record.key === null) return {};
    let text: string;
    try {
      text = decoder.decode(record.key);
    } catch {
      return {};
    }
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: the text itself
    }
    if (isObject(parsed)) return parsed;
    const only = this.target.key.length === 1 ? this.target.key[0]!.name : undefined;
    return only === undefined ? {} : { [only]: parsed };
  }

  private invalid(index: number, record: SinkRecord, why: string, cause?: unknown): EngineError {
    return new EngineError(
      'INVALID_RECORD',
      `record ${index} (${record.id}) for ${this.target.name}: ${why}`,
      {
        cause,
        details: this.details({ index, id: record.id }),
      },
    );
  }
}
