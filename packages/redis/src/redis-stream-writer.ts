import type { Redis } from 'ioredis';
import {
  EngineError,
  partitionForKey,
  type SinkContext,
  type SinkRecord,
  type SinkWriter,
} from 'rivulet/connector';
import { redisError } from './connect-redis.ts';
import type { RedisStreamSinkConfig } from './redis-stream-sink.ts';
import { pushEntryFields } from './stream-entry.ts';

const CONNECTOR = 'redis-stream';

/**
 * One sink's writer over its own connection. `write` validates and buffers; `commit` sends WATCH +
 * HGETALL of the positions hash (is it still what this writer last saw?), then one MULTI with every
 * buffered XADD and the HSET of `positions`, then EXEC. A connection lost before EXEC writes nothing;
 * a second writer of the same sink that committed meanwhile makes this one fail instead of writing
 * (WATCH), so a stale writer cannot duplicate records. Records at offsets below the stored positions
 * are already in Redis and are dropped by `write`.
 */
export class RedisStreamWriter implements SinkWriter {
  readonly #redis: Redis;
  readonly #config: RedisStreamSinkConfig;
  readonly #context: SinkContext;
  readonly #hash: string;
  readonly #maxBytes: number;
  readonly #streams: string[];
  /** The positions hash as this writer last read or wrote it. */
  #stored = new Map<number, number>();
  /** XADD argument lists (without the command name), in write order. */
  #buffer: Array<Array<string | Buffer>> = [];
  #closed = false;

  constructor(redis: Redis, config: RedisStreamSinkConfig, context: SinkContext, maxBytes: number) {
    this.#redis = redis;
    this.#config = config;
    this.#context = context;
    this.#hash = `rivulet:sink:${context.pipeline}:${context.name}`;
    this.#maxBytes = maxBytes;
    this.#streams =
      config.partitions === undefined
        ? [config.stream]
        : Array.from({ length: config.partitions }, (_, p) => `${config.stream}:${p}`);
  }

  /** Reads the stored positions (called once by the sink's `open`). */
  async load(): Promise<void> {
    this.#stored = await this.#readPositions();
  }

  async committed(): Promise<ReadonlyMap<number, number>> {
    try {
      return await this.#readPositions();
    } catch (error) {
      throw this.#error(error, 'reading the committed positions');
    }
  }

  async write(records: readonly SinkRecord[]): Promise<void> {
    this.#assertOpen();
    for (let i = 0; i < records.length; i++) this.#check(records[i]!, i);
    const prefix = this.#config.maxLen === undefined ? [] : ['MAXLEN', '~', String(this.#config.maxLen)];
    for (const record of records) {
      if (record.offset < (this.#stored.get(record.partition) ?? 0)) continue; // already stored
      const args: Array<string | Buffer> = [this.#streamOf(record), ...prefix, '*'];
      pushEntryFields(args, record);
      this.#buffer.push(args);
    }
  }

  async commit(positions: ReadonlyMap<number, number>): Promise<void> {
    this.#assertOpen();
    if (this.#buffer.length === 0 && samePositions(this.#stored, positions, true)) return;
    try {
      const [watched, current] = (await this.#redis.pipeline().watch(this.#hash).hgetall(this.#hash).exec())!;
      if (watched![0] || current![0]) throw watched![0] ?? current![0];
      const stored = toPositions(current![1] as Record<string, string>);
      if (!samePositions(stored, this.#stored, false)) {
        await this.#redis.unwatch();
        throw new EngineError(
          'CONNECTOR_FAILED',
          `${CONNECTOR}: sink '${this.#context.name}' was committed by another writer; reopen to continue`,
          { details: { connector: CONNECTOR, sink: this.#context.name, hash: this.#hash } },
        );
      }
      const multi = this.#redis.multi();
      for (const args of this.#buffer) multi.call('XADD', ...args);
      const fields: string[] = [];
      for (const [partition, offset] of positions) fields.push(String(partition), String(offset));
      if (fields.length > 0) multi.hset(this.#hash, ...fields);
      const results = await multi.exec();
      if (results === null)
        throw new EngineError(
          'CONNECTOR_FAILED',
          `${CONNECTOR}: sink '${this.#context.name}' was committed by another writer during this commit`,
          { details: { connector: CONNECTOR, sink: this.#context.name, hash: this.#hash } },
        );
      for (const [error] of results) if (error) throw error;
    } catch (error) {
      throw this.#error(error, 'committing');
    }
    for (const [partition, offset] of positions) this.#stored.set(partition, offset);
    this.#buffer = [];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = [];
    this.#redis.disconnect();
  }

  #streamOf(record: SinkRecord): string {
    if (this.#streams.length === 1) return this.#streams[0]!;
    const p =
      record.key === null
        ? record.partition % this.#streams.length
        : partitionForKey(record.key, this.#streams.length);
    return this.#streams[p]!;
  }

  /** Refuses a record one of whose parts Redis would refuse (`proto-max-bulk-len`, or maxValueBytes). */
  #check(record: SinkRecord, index: number): void {
    let part: string | undefined;
    if (record.value !== null && record.value.byteLength > this.#maxBytes) part = 'value';
    else if (record.key !== null && record.key.byteLength > this.#maxBytes) part = 'key';
    else if (record.headers !== undefined)
      for (const [name, value] of record.headers)
        if (value.byteLength > this.#maxBytes || Buffer.byteLength(name) + 2 > this.#maxBytes)
          part = `header '${name}'`;
    if (part !== undefined)
      throw new EngineError(
        'INVALID_RECORD',
        `${CONNECTOR}: record ${record.id}: its ${part} is over ${this.#maxBytes} bytes`,
        { details: { connector: CONNECTOR, index, id: record.id, maxBytes: this.#maxBytes } },
      );
  }

  async #readPositions(): Promise<Map<number, number>> {
    return toPositions(await this.#redis.hgetall(this.#hash));
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new EngineError(
        'CONNECTOR_FAILED',
        `${CONNECTOR}: sink '${this.#context.name}' writer is closed`,
        {
          details: { connector: CONNECTOR, sink: this.#context.name },
        },
      );
  }

  #error(error: unknown, what: string): EngineError {
    return redisError(error, CONNECTOR, `${what} sink '${this.#context.name}'`, {
      sink: this.#context.name,
      hash: this.#hash,
    });
  }
}

function toPositions(hash: Record<string, string>): Map<number, number> {
  const positions = new Map<number, number>();
  for (const [partition, offset] of Object.entries(hash)) positions.set(Number(partition), Number(offset));
  return positions;
}

/** `a` equals `b`; with `subset`, only the partitions of `b` are compared. */
function samePositions(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  subset: boolean,
): boolean {
  if (!subset && a.size !== b.size) return false;
  for (const [partition, offset] of b) if (a.get(partition) !== offset) return false;
  return true;
}
