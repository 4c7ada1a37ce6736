import type { Headers } from '../../model/index.ts';
import { CombinedWatermark } from '../combined-watermark.ts';
import { StreamRecord } from '../stream-record.ts';
import { readTime, writeTime } from '../time-bytes.ts';
import { JoinSideInput } from './join-side-input.ts';
import { Operator, type UserContext } from './operator.ts';
import type { WindowStateStore } from './window-operator.ts';

type Joiner = (left: unknown, right: unknown, key: unknown, context: UserContext) => unknown;

/** 0: the left input, 1: the right one. */
type Side = 0 | 1;

/** One buffered record: its value, whether it joined anything yet, and its headers when it had some. */
type Buffered = [value: unknown, matched: boolean, headers?: Headers];

/** Records of one side and key at one time, in arrival order: one chunk of at most CHUNK_RECORDS. */
interface BufferedAt {
  k: unknown;
  r: Buffered[];
}

const DATA = 0x44; // 'D' + side + key JSON + 0x00 + time (8 bytes) + chunk (4 bytes) -> BufferedAt
const INDEX = 0x54; // 'T' + time (8 bytes) + side + key JSON -> number of chunks, to drop records in time order
/**
 * Records per chunk: a hot key can have thousands of records at one millisecond; chunks keep each entry
 * small (state entries and changelog records have a size limit) and an append from copying them all.
 */
const CHUNK_RECORDS = 8;
const CHUNK_BYTES = 4;

const sideNames = ['left', 'right'] as const;

function timeBytes(t: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  writeTime(bytes, Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, t)), 0);
  return bytes;
}

function keyJson(key: unknown): Buffer {
  return Buffer.from(JSON.stringify(key) ?? 'null');
}

/**
 * The entry of chunk `chunk` of a side's records of one key at time t (without `chunk`: the bound before
 * every chunk at t, for range scans). Key JSON never holds a 0x00 byte (JSON escapes control characters),
 * so the 0x00 after it ends the key: one key's entries are contiguous, in time then chunk order.
 */
function dataKey(side: Side, json: Buffer, t: number, chunk?: number): Buffer {
  const bytes = Buffer.allocUnsafe(2 + json.length + 1 + 8 + (chunk === undefined ? 0 : CHUNK_BYTES));
  bytes[0] = DATA;
  bytes[1] = side;
  json.copy(bytes, 2);
  bytes[2 + json.length] = 0;
  writeTime(bytes, Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, t)), 3 + json.length);
  if (chunk !== undefined) bytes.writeUInt32BE(chunk, 11 + json.length);
  return bytes;
}

function indexKey(t: number, side: Side, json: Buffer): Buffer {
  return Buffer.concat([Buffer.from([INDEX]), timeBytes(t), Buffer.from([side]), json]);
}

/**
 * A stream-stream join over event time (Kafka Streams' `JoinWindows.of(within)`, symmetric): a left
 * record l at tl and a right record r at tr of the same key join iff |tl - tr| <= within.
 *
 * - Pairs: each joining pair is emitted once, when the later-processed of the two is processed, as
 *   `joiner(left, right, key)` with the key and timestamp max(tl, tr) (headers of the record processed).
 *   The set of pairs does not depend on how the two inputs interleave, only their order does.
 * - Unmatched (`left`: left records; `outer`: both sides): a record that joined nothing is emitted once,
 *   as joiner(left, undefined) or joiner(undefined, right), timestamped with its own time t, when the
 *   watermark passes t + within + allowedLateness: no on-time record can join it after that, so no
 *   later pair contradicts it.
 * - Watermark W: the min of the two inputs' (CombinedWatermark: none until both reported, idle inputs
 *   ignored), never moving back; kept in the checkpoint (`timeState`), so lateness after a restart is
 *   judged as before it. Records wait in `store` until W passes their time + within + allowedLateness
 *   (unmatched results are emitted then), so state holds only the records within that bound.
 * - Late: a record with t + allowedLateness < W on arrival could join records already dropped (at
 *   t - within, dropped once W passed t + allowedLateness): it is never joined; it goes, with the same
 *   key, time and headers and the value `{ side, value }`, to the `late` operators and is counted in
 *   `lateRecords`. Every other record is "on time", and finds in state every record it joins.
 * - Downstream watermark: W - allowedLateness, minus `within` when unmatched results are emitted: no
 *   later output has a smaller timestamp (pairs come from on-time records, unmatched results from
 *   records still in state), so a window after the join sees none of them late.
 * - Failure: a throwing joiner fails the record being processed (error policy): none of its pairs is
 *   emitted and it is not kept. A throwing joiner for an unmatched result fails that result alone.
 *
 * The parents of each side send to `inputs[side]`, which tells the records and watermarks apart.
 */
export class StreamStreamJoinOperator extends Operator {
  /** Where the parents of the left (0) and right (1) input send their batches and watermarks. */
  readonly #inputs: readonly [Operator, Operator];
  readonly late: Operator[] = [];
  /** Records found late so far (whether or not anything reads the late output). */
  lateRecords = 0;
  #watermark = Number.NEGATIVE_INFINITY;
  readonly #combined = new CombinedWatermark(2);
  /**
   * No record in state is older than this (a lower bound; undefined: not known, as after a start or a
   * restore): dropping scans the index only once the watermark can drop something.
   */
  #minTime: number | undefined;

  constructor(
    label: string,
    private readonly joiner: Joiner,
    private readonly join: 'inner' | 'left' | 'outer',
    private readonly withinMs: number,
    private readonly allowedLatenessMs: number,
    private readonly store: WindowStateStore,
  ) {
    super(label);
    const input = (side: Side): Operator =>
      new JoinSideInput(
        `${label} (${sideNames[side]})`,
        (batch) => this.#process(side, batch),
        (watermark, idle) => this.#onInputWatermark(side, watermark, idle),
      );
    this.#inputs = [input(0), input(1)];
  }

  override get inputs(): readonly [Operator, Operator] {
    return this.#inputs;
  }
  process(_batch: StreamRecord[]): void {
    throw new Error(`${this.label}: records reach a stream-stream join through its inputs`);
  }

  /** True when records of `side` that joined nothing are emitted. */
  #emitsUnmatched(side: Side): boolean {
    return this.join === 'outer' || (this.join === 'left' && side === 0);
  }

  #process(side: Side, batch: StreamRecord[]): void {
    const out: StreamRecord[] = [];
    const late: StreamRecord[] = [];
    for (const record of batch) {
      if (record.timestamp + this.allowedLatenessMs < this.#watermark) {
        record.value = { side: sideNames[side], value: record.value };
        late.push(record);
        continue;
      }
      try {
        this.#add(side, record, out);
      } catch (error) {
        this.reject(error, record);
      }
    }
    if (out.length > 0) this.emit(out);
    if (late.length > 0) {
      this.lateRecords += late.length;
      const last = this.late.length - 1;
      for (let i = 0; i <= last; i++) this.late[i]!.receive(i === last ? late : late.map((r) => r.copy()));
    }
  }

  /** Joins an on-time record with the other side's records in bound, then keeps it. */
  #add(side: Side, record: StreamRecord, out: StreamRecord[]): void {
    const t = record.timestamp;
    const key = record.key;
    const json = keyJson(key);
    const other: Side = side === 0 ? 1 : 0;
    const partners = this.store.range(
      dataKey(other, json, t - this.withinMs),
      dataKey(other, json, t + this.withinMs + 1),
    );
    const context = this.context.set(record);
    const results: StreamRecord[] = [];
    // Every joiner call first: if one throws, nothing of this record is emitted or kept.
    for (const entry of partners) {
      const bytes = entry.key;
      const at = readTime(bytes, bytes.length - 8 - CHUNK_BYTES);
      for (const [value] of (entry.value as BufferedAt).r) {
        const joined =
          side === 0
            ? this.joiner(record.value, value, key, context)
            : this.joiner(value, record.value, key, context);
        results.push(
          new StreamRecord(key, joined, Math.max(t, at), record.headers, record.offset, record.origin),
        );
      }
    }
    for (const result of results) out.push(result);
    if (this.#emitsUnmatched(other))
      for (const entry of partners) {
        const at = entry.value as BufferedAt;
        if (at.r.every(([, matched]) => matched)) continue;
        for (const buffered of at.r) buffered[1] = true;
        this.store.put(entry.key, at);
      }
    const buffered: Buffered =
      record.headers === undefined || record.headers.size === 0
        ? [record.value, results.length > 0]
        : [record.value, results.length > 0, record.headers];
    const index = indexKey(t, side, json);
    const chunks = (this.store.get(index) as number | undefined) ?? 0;
    const last =
      chunks === 0 ? undefined : (this.store.get(dataKey(side, json, t, chunks - 1)) as BufferedAt);
    if (last !== undefined && last.r.length < CHUNK_RECORDS) {
      this.store.put(dataKey(side, json, t, chunks - 1), { k: key, r: [...last.r, buffered] });
      return;
    }
    this.store.put(dataKey(side, json, t, chunks), { k: key, r: [buffered] });
    this.store.put(index, chunks + 1);
    if (chunks === 0 && this.#minTime !== undefined && t < this.#minTime) this.#minTime = t;
  }

  #onInputWatermark(side: Side, watermark: number, idle: boolean): void {
    if (!this.#combined.update(side, watermark, idle)) return;
    if (this.#combined.current > this.#watermark) {
      this.#watermark = this.#combined.current;
      this.#drop();
    }
    const held = this.#watermark - this.allowedLatenessMs - (this.join === 'inner' ? 0 : this.withinMs);
    this.emitWatermark(held, this.#combined.idle);
    for (const operator of this.late) operator.onWatermark(held, this.#combined.idle, this);
  }

  /** Drops every record with t + within + allowedLateness < watermark, emitting the unmatched ones. */
  #drop(): void {
    // Times are whole ms: t < before.
    const before = Math.ceil(this.#watermark - this.withinMs - this.allowedLatenessMs);
    if (before <= 0 || (this.#minTime !== undefined && before <= this.#minTime)) return;
    const from = Buffer.from([INDEX]);
    const out: StreamRecord[] = [];
    for (const entry of this.store.range(from, Buffer.concat([from, timeBytes(before)]))) {
      const bytes = Buffer.from(entry.key);
      const t = readTime(bytes, 1);
      const side = bytes[9] as Side;
      const json = bytes.subarray(10);
      this.store.delete(entry.key);
      for (let chunk = 0; chunk < (entry.value as number); chunk++) {
        const id = dataKey(side, json, t, chunk);
        const at = this.store.get(id) as BufferedAt | undefined;
        if (at === undefined) continue;
        this.store.delete(id);
        if (this.#emitsUnmatched(side)) this.#emitUnmatched(side, t, at, out);
      }
    }
    const [first] = this.store.range(from, Buffer.from([INDEX + 1]), { limit: 1 });
    this.#minTime = first === undefined ? Number.POSITIVE_INFINITY : readTime(first.key, 1);
    if (out.length > 0) this.emit(out);
  }

  /** The results of a chunk's records that joined nothing: joiner(value, undefined) or (undefined, value). */
  #emitUnmatched(side: Side, t: number, at: BufferedAt, out: StreamRecord[]): void {
    for (const [value, matched, headers] of at.r) {
      if (matched) continue;
      const record = new StreamRecord(at.k, value, t, headers);
      try {
        const context = this.context.set(record);
        record.value =
          side === 0
            ? this.joiner(value, undefined, at.k, context)
            : this.joiner(undefined, value, at.k, context);
        out.push(record);
      } catch (error) {
        this.reject(error, record);
      }
    }
  }

  override onWatermark(): void {
    throw new Error(`${this.label}: watermarks reach a stream-stream join through its inputs`);
  }

  override timeState(): unknown {
    return Number.isFinite(this.#watermark) ? this.#watermark : null;
  }

  override restoreTimeState(state: unknown): void {
    if (typeof state === 'number' && state > this.#watermark) this.#watermark = state;
    this.#minTime = undefined;
  }
}
