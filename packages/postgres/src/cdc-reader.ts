import pg from 'pg';
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import type { ConnectorRecord, SourceBatch, SourceReader } from 'rivulet/connector';
import { EngineError, PollWaiter } from 'rivulet/connector';
import { CdcPosition } from './cdc-position.ts';
import { changeRecord, PendingChange, type RowChange, type ValueShape } from './change-record.ts';
import { formatLsn, parseLsn } from './lsn.ts';
import { isTransient, toEngineError } from './pg-error.ts';
import { type ByteCounter, textValueParser } from './text-value.ts';
import { Utf8Arena } from './utf8-arena.ts';

export interface CdcReaderConfig {
  readonly connectionString: string;
  readonly slot: string;
  readonly publication: string;
  /** `schema.table` names to keep; undefined: every table of the publication. */
  readonly tables: ReadonlySet<string> | undefined;
  readonly valueShape: ValueShape;
  readonly maxReadAheadBytes: number;
}

/** Rough per-change overhead (objects, strings' headers) added to the counted text bytes. */
const CHANGE_OVERHEAD_BYTES = 256;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2_000;

type ReplicationConnection = { stream?: { pause(): void; resume(): void } } | null;

/**
 * The socket under the service's replication client, to pause it when the read-ahead is full. The
 * service keeps it in a private field; pausing the socket leaves the rest of the WAL in the server
 * (TCP backpressure), which the service's own flow control would do with a promise per change.
 */
function replicationSocket(service: LogicalReplicationService): ReplicationConnection {
  return (service as unknown as { _connection: ReplicationConnection })._connection;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Reads one replication slot with pgoutput (protocol 1). The stream delivers whole transactions in
 * commit order; the reader numbers changes within each transaction, skips those its position covers
 * (the slot restarts at its confirmed flush LSN, which may be earlier) and holds at most
 * `maxReadAheadBytes` in memory, pausing the socket beyond that.
 *
 * Ordering: records come in commit order, changes of a transaction in WAL order. Acknowledgement: the
 * slot's flush LSN is confirmed only by `commit(position)` (and repeated in keepalive replies), never
 * for records merely read, so WAL is kept until the engine's checkpoint holds them. Failure: a broken
 * connection is reopened inside with backoff (what was buffered but not returned is dropped and read
 * again from the slot); a refusal that reopening cannot fix (slot or publication gone) rejects `poll`
 * with CONNECTOR_FAILED, not retryable. Ownership: one caller at a time; `close` releases the slot.
 */
export class CdcReader implements SourceReader {
  private service: LogicalReplicationService | undefined;
  private readonly queue: PendingChange[] = [];
  private head = 0;
  private bufferedBytes = 0;
  private paused = false;
  private readonly counter: ByteCounter = { bytes: 0 };
  private readonly arena = new Utf8Arena();
  private readonly parsers = new Map<number, (text: string) => unknown>();
  /** Key columns per relation oid; a promise while a REPLICA IDENTITY FULL table's primary key is looked up. */
  private readonly keyColumns = new Map<number, readonly string[] | Promise<unknown>>();
  private transactionCommitLsn = 0n;
  private transactionIndex = 0;
  private transactionTime = 0;
  private readonly waiter = new PollWaiter();
  private failure: EngineError | undefined;
  private closed = false;
  private reconnecting = false;

  private constructor(
    private readonly config: CdcReaderConfig,
    /** Everything the reader has returned (or was opened after). */
    private returned: CdcPosition,
    /** The flush LSN confirmed to the slot. */
    private acked: bigint,
  ) {}

  /** Starts streaming the slot; `returned` is the open position, `confirmedFlush` the slot's. */
  static async open(
    config: CdcReaderConfig,
    returned: CdcPosition,
    confirmedFlush: bigint,
  ): Promise<CdcReader> {
    const reader = new CdcReader(config, returned, confirmedFlush);
    // A walsender of a reader closed a moment ago may still hold the slot (55006): retry briefly.
    const deadline = Date.now() + 15_000;
    for (let delay = RECONNECT_MIN_MS; ; delay = Math.min(delay * 2, RECONNECT_MAX_MS)) {
      try {
        await reader.connect();
        return reader;
      } catch (error) {
        if (!isTransient(error) || Date.now() > deadline)
          throw toEngineError(error, `cannot stream replication slot ${config.slot}`, reader.details());
        await sleep(delay);
      }
    }
  }

  private details(): Record<string, unknown> {
    return { connector: 'postgres-cdc', slot: this.config.slot, publication: this.config.publication };
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const records: ConnectorRecord[] = [];
      const lookup = this.take(maxRecords, records);
      if (records.length > 0) return { records, position: this.returned.toString() };
      if (lookup !== undefined) {
        await lookup;
        continue;
      }
      const remaining = deadline - Date.now();
      if (this.closed || remaining <= 0 || signal?.aborted)
        return { records, position: this.returned.toString() };
      await this.waiter.wait(remaining, signal);
    }
  }

  async commit(position: string): Promise<void> {
    const parsed = CdcPosition.parse(position);
    if (parsed === undefined)
      throw new EngineError(
        'SOURCE_POSITION_INVALID',
        `not a postgres-cdc position: ${JSON.stringify(position)}`,
        {
          details: { ...this.details(), position },
        },
      );
    const flush = parsed.flushLsn();
    if (flush <= this.acked) return;
    this.acked = flush;
    this.sendFlush();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiter.wake();
    const service = this.service;
    this.service = undefined;
    await service?.destroy().catch(() => undefined);
  }

  /** Moves up to `max` buffered changes into `out`; returns a lookup to await when a key is not known yet. */
  private take(max: number, out: ConnectorRecord[]): Promise<unknown> | undefined {
    const queue = this.queue;
    let commitLsn = this.returned.commitLsn;
    let changes = this.returned.changes;
    let moved = false;
    let lookup: Promise<unknown> | undefined;
    while (this.head < queue.length) {
      const pending = queue[this.head]!;
      if (pending.change === null) {
        // The end of a transaction whose changes were all returned: the position covers all of it.
        if (commitLsn === pending.commitLsn && changes !== undefined) {
          changes = undefined;
          moved = true;
        }
        this.head++;
        continue;
      }
      if (out.length >= max) break;
      const keys = this.keyColumns.get(pending.change.relation.relationOid);
      if (keys instanceof Promise) {
        lookup = keys;
        break;
      }
      out.push(changeRecord(pending, keys ?? [], this.config.valueShape, this.arena));
      this.bufferedBytes -= pending.bytes;
      commitLsn = pending.commitLsn;
      changes = pending.index + 1;
      moved = true;
      this.head++;
    }
    if (moved) this.returned = new CdcPosition(commitLsn, changes);
    if (this.head > 4096 && this.head * 2 > queue.length) {
      queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.paused && this.bufferedBytes < this.config.maxReadAheadBytes / 2) {
      this.paused = false;
      if (this.service !== undefined) replicationSocket(this.service)?.stream?.resume();
    }
    return lookup;
  }

  /** Opens a replication connection; resolves once the server streams, rejects if it never does. */
  private connect(): Promise<void> {
    const { connectionString, slot, publication } = this.config;
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] });
    const service = new LogicalReplicationService(
      { connectionString, connectionTimeoutMillis: 10_000 },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    this.service = service;
    return new Promise((resolve, reject) => {
      let started = false;
      const fail = (error: unknown) => {
        if (!started) {
          started = true; // settle once
          if (this.service === service) this.service = undefined;
          void service.destroy().catch(() => undefined);
          reject(error);
        } else this.lost(service, error);
      };
      service.on('start', () => {
        if (started) return;
        if (this.closed) {
          // close() ran while this connection was being made: it must not keep holding the slot.
          fail(new EngineError('CONNECTOR_FAILED', 'the reader is closed', { details: this.details() }));
          return;
        }
        started = true;
        this.sendFlush();
        resolve();
      });
      service.on('data', (lsn: string, message: Pgoutput.Message) => {
        if (this.service === service) this.onMessage(lsn, message);
      });
      service.on('heartbeat', (_lsn: string, _time: number, shouldRespond: boolean) => {
        if (shouldRespond && this.service === service) this.sendFlush();
      });
      service.on('error', fail);
      service
        .subscribe(plugin, slot)
        .then(() => fail(new Error('Connection terminated: the replication stream ended')), fail);
    });
  }

  /** The stream of `service` broke after it started: reconnect, or fail when reopening cannot help. */
  private lost(service: LogicalReplicationService, error: unknown): void {
    if (this.service !== service || this.closed) return;
    this.service = undefined;
    void service.destroy().catch(() => undefined);
    if (!isTransient(error)) {
      this.fail(error);
      return;
    }
    void this.reconnect();
  }

  private fail(error: unknown): void {
    const engineError = toEngineError(error, `replication slot ${this.config.slot} failed`, this.details());
    this.failure = isTransient(error)
      ? engineError
      : new EngineError('CONNECTOR_FAILED', engineError.message, {
          cause: error,
          details: engineError.details,
          retryable: false,
        });
    this.waiter.wake();
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    // Changes buffered but not returned come again from the slot: the position skips what was returned.
    this.queue.length = 0;
    this.head = 0;
    this.bufferedBytes = 0;
    this.paused = false;
    try {
      for (let delay = RECONNECT_MIN_MS; !this.closed; delay = Math.min(delay * 2, RECONNECT_MAX_MS)) {
        await sleep(delay);
        if (this.closed) return;
        try {
          await this.connect();
          return;
        } catch (error) {
          if (!isTransient(error)) {
            this.fail(error);
            return;
          }
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  /** Confirms `acked` to the slot (the service sends the LSN it is given plus one). */
  private sendFlush(): void {
    if (this.service === undefined || this.acked <= 0n) return;
    void this.service.acknowledge(formatLsn(this.acked - 1n)).catch(() => undefined);
  }

  private onMessage(lsn: string, message: Pgoutput.Message): void {
    switch (message.tag) {
      case 'begin':
        this.transactionCommitLsn = parseLsn(message.commitLsn ?? '0/0') ?? 0n;
        this.transactionIndex = 0;
        this.transactionTime = Number((message.commitTime as bigint) / 1000n);
        return;
      case 'relation':
        this.onRelation(message);
        return;
      case 'insert':
      case 'update':
      case 'delete':
        this.onChange(lsn, message);
        return;
      case 'commit':
        this.onCommit();
        return;
      default:
        // truncate, origin, type, message: not row changes; truncate is documented as not captured.
        this.counter.bytes = 0;
    }
  }

  private onRelation(relation: Pgoutput.MessageRelation): void {
    for (const column of relation.columns) {
      let parser = this.parsers.get(column.typeOid);
      if (parser === undefined) {
        parser = textValueParser(column.typeOid, this.counter);
        this.parsers.set(column.typeOid, parser);
      }
      column.parser = parser;
    }
    if (relation.replicaIdentity !== 'full') {
      this.keyColumns.set(relation.relationOid, relation.keyColumns);
      return;
    }
    // With REPLICA IDENTITY FULL every column is flagged as key: look the primary key up instead.
    const oid = relation.relationOid;
    const lookup = this.primaryKey(oid).then(
      (columns) => {
        if (this.keyColumns.get(oid) === lookup) this.keyColumns.set(oid, columns);
      },
      async () => {
        await sleep(RECONNECT_MIN_MS);
        if (this.keyColumns.get(oid) === lookup) this.onRelation(relation);
      },
    );
    this.keyColumns.set(oid, lookup);
  }

  private async primaryKey(oid: number): Promise<string[]> {
    const client = new pg.Client({
      connectionString: this.config.connectionString,
      connectionTimeoutMillis: 10_000,
    });
    try {
      await client.connect();
      const result = await client.query<{ attname: string }>(
        `SELECT a.attname FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = $1 AND i.indisprimary
          ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        [oid],
      );
      return result.rows.map((row) => row.attname);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private onChange(lsn: string, change: RowChange): void {
    const index = this.transactionIndex++;
    const bytes = this.counter.bytes + CHANGE_OVERHEAD_BYTES;
    this.counter.bytes = 0;
    if (this.returned.covers(this.transactionCommitLsn, index)) return;
    const relation = change.relation;
    if (this.config.tables !== undefined && !this.config.tables.has(`${relation.schema}.${relation.name}`))
      return;
    this.queue.push(
      new PendingChange(
        change,
        lsn, // the service formats it as Postgres does (%X/%X)
        this.transactionCommitLsn,
        index,
        this.transactionTime,
        bytes,
      ),
    );
    this.bufferedBytes += bytes;
    if (!this.paused && this.bufferedBytes >= this.config.maxReadAheadBytes && this.service !== undefined) {
      this.paused = true;
      replicationSocket(this.service)?.stream?.pause();
    }
    this.waiter.wake();
  }

  private onCommit(): void {
    const commitLsn = this.transactionCommitLsn;
    if (this.returned.commitLsn > commitLsn) return;
    if (this.returned.commitLsn === commitLsn && this.returned.changes === undefined) return;
    this.queue.push(new PendingChange(null, '', commitLsn, this.transactionIndex, this.transactionTime, 0));
  }
}
