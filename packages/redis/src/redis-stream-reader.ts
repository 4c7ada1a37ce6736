import type { Redis } from 'ioredis';
import { type ConnectorRecord, EngineError, type SourceBatch, type SourceReader } from 'rivulet/connector';
import { redisError } from './connect-redis.ts';
import type { RedisStreamSourceConfig } from './redis-stream-source.ts';
import { recordFromEntry } from './stream-entry.ts';
import { compareStreamIds } from './stream-id.ts';
import { withinTime } from './within-time.ts';

const CONNECTOR = 'redis-stream';
/**
 * How long the connection may stay down (reconnecting) before a poll, or a commit's XACK, gives up with
 * CONNECTOR_UNAVAILABLE.
 */
const UNAVAILABLE_AFTER_MS = 30_000;
/**
 * A read still unanswered this long after its BLOCK should have ended is on a dead (half-open)
 * connection: the reader drops the connection and ioredis reconnects and sends the read again.
 */
const STALLED_AFTER_BLOCK_MS = 5_000;
/** How long a poll waits past its deadline for a read the server was told to end by then. */
const REPLY_GRACE_MS = 100;
/** Entry ids per XACK. */
const ACK_CHUNK = 1000;

type Entry = [Buffer, Buffer[] | null];
type ReadReply = Array<[Buffer, Entry[]]> | null;
/** A read's result; never rejects (errors are values), so a read left in flight cannot go unhandled. */
type ReadOutcome = { reply: ReadReply; error?: undefined } | { reply?: undefined; error: unknown };

interface InFlight {
  readonly outcome: Promise<ReadOutcome>;
  /** A read of this consumer's pending entries (XREADGROUP with an id) rather than of new ones. */
  readonly pending: boolean;
  /** When it was sent (or last sent again after a stall). */
  sentAt: number;
}

/**
 * Reads one stream over its own connection (blocking reads need one). At most one read is in flight:
 * a poll that ends (maxWait, abort) while the read is still blocked leaves it in flight, and the next
 * poll takes its reply, so nothing is lost and nothing is asked twice. Read-ahead is bounded by one
 * read's COUNT. A lost connection is reconnected by ioredis, which sends the read again; polls return
 * empty batches meanwhile, and fail with CONNECTOR_UNAVAILABLE after 30 s without a connection. A
 * connection that stays open but never answers (half-open TCP) is dropped by the next poll once the read
 * is 5 s overdue, and reconnected the same way.
 *
 * `commit` (group mode) sends XACK on the same connection, so it waits behind a read still blocked
 * from an aborted poll (at most `blockMs`).
 *
 * Group mode: every returned entry id is kept until a commit covering it XACKs it. After a reconnect,
 * and at open, this consumer's pending entries are read again (XREADGROUP with an id) and those not
 * already returned are returned: a reply lost with the connection would otherwise leave its entries
 * pending until the next open.
 */
export class RedisStreamReader implements SourceReader {
  readonly #redis: Redis;
  readonly #config: RedisStreamSourceConfig;
  readonly #key: string;
  readonly #keyBytes: Buffer;
  /** Positioned mode: the id the next XREAD reads after (the last entry read, returned or not). */
  #cursor: string;
  /** The last id returned (positioned), or the greatest id returned (group): the batch position. */
  #position: string;
  /** Group mode: where the next read of this consumer's pending entries starts; undefined: read new ones. */
  #pendingCursor: string | undefined;
  /** Group mode: ids returned and not yet acknowledged, in return order, and the same as a set. */
  #unacked: string[] = [];
  readonly #unackedSet = new Set<string>();
  #inFlight: InFlight | undefined;
  /** Records read but not yet returned (a read fetched more than a later poll's maxRecords). */
  #ready: ConnectorRecord[] = [];
  #readyIds: string[] = [];
  #readyAt = 0;
  #downSince: number | undefined;
  #closed = false;

  constructor(redis: Redis, config: RedisStreamSourceConfig, key: string, start: string) {
    this.#redis = redis;
    this.#config = config;
    this.#key = key;
    this.#keyBytes = Buffer.from(key);
    this.#cursor = start;
    this.#position = start;
    if (config.group !== undefined) {
      this.#pendingCursor = '0-0';
      redis.on('ready', () => {
        this.#pendingCursor = '0-0';
      });
    }
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<SourceBatch> {
    if (this.#closed)
      throw new EngineError('CONNECTOR_FAILED', `${CONNECTOR}: poll of '${this.#key}' after close`, {
        retryable: false,
        details: { connector: CONNECTOR, split: this.#key },
      });
    if (maxRecords < 1) return this.#empty();
    if (this.#readyAt < this.#ready.length) return this.#take(maxRecords);
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      if (signal?.aborted) return this.#empty();
      this.#inFlight ??= this.#read(Math.min(this.#config.count, maxRecords), deadline);
      const outcome = await settle(this.#inFlight.outcome, deadline + REPLY_GRACE_MS, signal);
      if (outcome === undefined) {
        this.#checkConnection();
        this.#checkStalled();
        return this.#empty();
      }
      const read = this.#inFlight;
      this.#inFlight = undefined;
      if (outcome.error !== undefined) {
        const error = redisError(outcome.error, CONNECTOR, `reading '${this.#key}'`, { split: this.#key });
        if (error.code === 'CONNECTOR_FAILED' || this.#closed) throw error;
        // The connection broke under the read: group replies may be lost, so look at pending entries again.
        if (this.#config.group !== undefined) this.#pendingCursor = '0-0';
        this.#checkConnection();
        if (Date.now() >= deadline) return this.#empty();
        await new Promise((resolve) => setTimeout(resolve, Math.min(100, deadline - Date.now())));
        continue;
      }
      this.#downSince = undefined;
      this.#accept(outcome.reply ?? null, read.pending);
      if (this.#readyAt < this.#ready.length) return this.#take(maxRecords);
      if (Date.now() >= deadline && this.#pendingCursor === undefined) return this.#empty();
    }
  }

  async commit(position: string): Promise<void> {
    const group = this.#config.group;
    if (group === undefined || this.#unacked.length === 0) return;
    const acked: string[] = [];
    const kept: string[] = [];
    for (const id of this.#unacked) (compareStreamIds(id, position) <= 0 ? acked : kept).push(id);
    try {
      for (let i = 0; i < acked.length; i += ACK_CHUNK)
        await withinTime(
          this.#redis.xack(this.#key, group.name, ...acked.slice(i, i + ACK_CHUNK)),
          UNAVAILABLE_AFTER_MS,
          () => new Error(`XACK got no reply in ${UNAVAILABLE_AFTER_MS} ms`),
        );
    } catch (error) {
      throw redisError(error, CONNECTOR, `acknowledging '${this.#key}' up to ${position}`, {
        split: this.#key,
        position,
      });
    }
    this.#unacked = kept;
    for (const id of acked) this.#unackedSet.delete(id);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#redis.disconnect();
  }

  /** Starts one read: new entries (blocking until `deadline` at most), or this consumer's pending ones. */
  #read(count: number, deadline: number): InFlight {
    const group = this.#config.group;
    const remaining = deadline - Date.now();
    const block: Array<string | number> =
      remaining >= 1 ? ['BLOCK', Math.min(this.#config.blockMs, remaining)] : [];
    let reply: Promise<unknown>;
    const pending = this.#pendingCursor !== undefined;
    if (group === undefined)
      reply = this.#redis.callBuffer('XREAD', 'COUNT', count, ...block, 'STREAMS', this.#key, this.#cursor);
    else if (this.#pendingCursor !== undefined)
      reply = this.#redis.callBuffer(
        'XREADGROUP',
        'GROUP',
        group.name,
        group.consumer,
        'COUNT',
        count,
        'STREAMS',
        this.#key,
        this.#pendingCursor,
      );
    else
      reply = this.#redis.callBuffer(
        'XREADGROUP',
        'GROUP',
        group.name,
        group.consumer,
        'COUNT',
        count,
        ...block,
        'STREAMS',
        this.#key,
        '>',
      );
    return {
      pending,
      sentAt: Date.now(),
      outcome: reply.then(
        (value) => ({ reply: value as ReadReply }),
        (error: unknown) => ({ error }),
      ),
    };
  }

  /** Decodes a read's entries into the ready queue. */
  #accept(reply: ReadReply, pending: boolean): void {
    const entries = reply?.[0]?.[1] ?? [];
    if (this.#readyAt >= this.#ready.length) {
      this.#ready = [];
      this.#readyIds = [];
      this.#readyAt = 0;
    }
    const group = this.#config.group !== undefined;
    for (const [idBytes, fields] of entries) {
      const id = idBytes.toString('latin1');
      if (!group) this.#cursor = id;
      else if (pending && this.#unackedSet.has(id)) continue; // returned before the reconnect
      // A pending entry whose data was deleted (XDEL, trimming) has null fields: nothing to return.
      if (fields === null) {
        if (group) this.#remember(id);
        continue;
      }
      this.#ready.push(recordFromEntry(this.#keyBytes, idBytes, fields));
      this.#readyIds.push(id);
    }
    if (pending) {
      const last = entries[entries.length - 1];
      // An empty page ends the pending entries: read new ones from now on.
      this.#pendingCursor = last === undefined ? undefined : last[0].toString('latin1');
    }
  }

  #take(maxRecords: number): SourceBatch {
    const end = Math.min(this.#ready.length, this.#readyAt + maxRecords);
    const records = this.#ready.slice(this.#readyAt, end);
    const group = this.#config.group !== undefined;
    for (let i = this.#readyAt; i < end; i++) {
      const id = this.#readyIds[i]!;
      if (!group) this.#position = id;
      else {
        this.#remember(id);
        if (compareStreamIds(id, this.#position) > 0) this.#position = id;
      }
    }
    this.#readyAt = end;
    return { records, position: this.#position };
  }

  #remember(id: string): void {
    this.#unacked.push(id);
    this.#unackedSet.add(id);
  }

  #empty(): SourceBatch {
    return { records: [], position: this.#position };
  }

  /** Reconnects when the read in flight has waited far longer than its BLOCK on a 'ready' connection. */
  #checkStalled(): void {
    const read = this.#inFlight;
    if (read === undefined || this.#redis.status !== 'ready') return;
    const now = Date.now();
    if (now - read.sentAt > this.#config.blockMs + STALLED_AFTER_BLOCK_MS) {
      read.sentAt = now; // once per stall: the reconnect sends the read again
      this.#redis.disconnect(true);
    }
  }

  /** Throws CONNECTOR_UNAVAILABLE once the connection has been down for too long. */
  #checkConnection(): void {
    if (this.#redis.status === 'ready') {
      this.#downSince = undefined;
      return;
    }
    const now = Date.now();
    this.#downSince ??= now;
    if (now - this.#downSince > UNAVAILABLE_AFTER_MS)
      throw new EngineError(
        'CONNECTOR_UNAVAILABLE',
        `${CONNECTOR}: no connection to Redis for ${now - this.#downSince} ms reading '${this.#key}'`,
        { details: { connector: CONNECTOR, split: this.#key, status: this.#redis.status } },
      );
  }
}

/** `outcome`, or undefined once `deadline` passes or `signal` aborts, whichever comes first. */
function settle(
  outcome: Promise<ReadOutcome>,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<ReadOutcome | undefined> {
  return new Promise((resolve) => {
    const finish = (value: ReadOutcome | undefined) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => finish(undefined);
    const timer = setTimeout(onAbort, Math.max(0, deadline - Date.now()));
    signal?.addEventListener('abort', onAbort, { once: true });
    outcome.then(finish);
  });
}
