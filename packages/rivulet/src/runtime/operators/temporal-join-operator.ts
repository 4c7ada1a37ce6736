import type { Headers } from '../../model/index.ts';
import { CombinedWatermark } from '../combined-watermark.ts';
import { StreamRecord } from '../stream-record.ts';
import { readTime, writeTime } from '../time-bytes.ts';
import { JoinSideInput } from './join-side-input.ts';
import { Operator, type UserContext } from './operator.ts';
import type { WindowStateStore } from './window-operator.ts';

type Joiner = (value: unknown, row: unknown, key: unknown, context: UserContext) => unknown;
type ValueFn = (value: unknown, key: unknown, context: UserContext) => unknown;

/** One `mapValues` / `filter` step of a table, applied to each version as the table applies it. */
export interface VersionStep {
  map?: ValueFn;
  filter?: ValueFn;
}

/** 0: the stream, 1: the table's versions. */
type Side = 0 | 1;

/** A version of a key's row: its value, or null for a deletion. */
interface Version {
  v: unknown;
}

/** The stream records of one key at one time, in arrival order: value, and headers when there were some. */
interface PendingAt {
  k: unknown;
  r: Array<[value: unknown, headers?: Headers]>;
}

const VERSION = 0x56; // 'V' + key JSON + 0x00 + tv (8 bytes) -> Version
const AHEAD = 0x41; //   'A' + tv + key JSON -> 1: a version not yet behind the watermark
const FORGET = 0x46; //  'F' + tv + key JSON -> 1: a key whose version behind the watermark is a deletion
const PENDING = 0x50; // 'P' + t + key JSON -> PendingAt: stream records waiting for the watermark

const sideNames = ['left', 'right'] as const;

function timeBytes(t: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  writeTime(bytes, Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, t)), 0);
  return bytes;
}

function keyJson(key: unknown): Buffer {
  return Buffer.from(JSON.stringify(key) ?? 'null');
}

/** A key's versions are contiguous and in time order (key JSON has no 0x00 byte, which ends it). */
function versionKey(json: Buffer, tv: number): Buffer {
  return Buffer.concat([Buffer.from([VERSION]), json, Buffer.from([0]), timeBytes(tv)]);
}

function timedKey(prefix: number, t: number, json: Buffer): Buffer {
  return Buffer.concat([Buffer.from([prefix]), timeBytes(t), json]);
}

/** The entries of `prefix` with a time below `bound`, in time order. */
function entriesBefore(store: WindowStateStore, prefix: number, bound: number) {
  const from = Buffer.from([prefix]);
  return store.range(from, Buffer.concat([from, timeBytes(bound)]));
}

/**
 * A temporal (as-of event time) join of a keyed stream with a table's versions, as Flink's event-time
 * temporal join: a stream record of key k at time t joins the version of k's row valid at t, the
 * version with the largest time tv <= t (on equal times, the one that arrived last); a deletion, or no
 * version, means no row (`inner` drops the record, `left` joins it with undefined).
 *
 * - Versions: each record of input 1 (value, or null / undefined for a deletion, after the table's
 *   `steps`) is a version of its key at its timestamp tv; every one counts, in any order.
 * - Watermark W: the min of the two inputs' (CombinedWatermark: none until both reported, idle inputs
 *   ignored), never moving back; kept in the checkpoint (`timeState`). An on-time version has tv >= W
 *   and an on-time record t >= W, so a record at t is final once W > t: records wait in `store` until
 *   then, and when W moves past them they are joined and emitted with their own key, time and headers,
 *   in time order (then key JSON, then arrival), before W goes downstream. So the results do not
 *   depend on how the two inputs interleave or are batched: they are the rule applied to all versions.
 * - Late: a record with t < W on arrival could belong with results already emitted: it goes to the
 *   `late` operators as `{ side: 'left', value }`. A version with tv < W - history is late too (as
 *   `{ side: 'right', value }`, the value after the steps, null for a deletion), never used. A version
 *   behind W but within `history` is used for the records still waiting (not for those emitted). Both
 *   kinds are counted in `lateRecords`; none is dropped silently.
 * - State (bounded by the keys, the history and the out-of-orderness): per key, the versions with
 *   tv >= W and the latest one behind W, which every later record and placeable late version is compared
 *   with; that one is forgotten when it is a deletion older than W - history (a version older than it
 *   would be late anyway), so deleted keys leave the state. Plus the records waiting for W.
 * - Failure: a throwing joiner fails that record alone (error policy) when it is emitted. A version whose
 *   step throws is ignored here: the table itself reports it to the error policy, and keeps its row.
 *
 * The parents of each side send to `inputs[side]`: the stream's, and those of the table's versions.
 */
export class TemporalJoinOperator extends Operator {
  /** Where the parents of the stream (0) and of the table's versions (1) send batches and watermarks. */
  readonly #inputs: readonly [Operator, Operator];
  readonly late: Operator[] = [];
  /** Late records and late versions so far (whether or not anything reads the late output). */
  lateRecords = 0;
  #watermark = Number.NEGATIVE_INFINITY;
  readonly #combined = new CombinedWatermark(2);

  constructor(
    label: string,
    private readonly joiner: Joiner,
    private readonly join: 'inner' | 'left',
    private readonly historyMs: number,
    private readonly steps: readonly VersionStep[],
    private readonly store: WindowStateStore,
  ) {
    super(label);
    const input = (side: Side): Operator =>
      new JoinSideInput(
        `${label} (${side === 0 ? 'stream' : 'table'})`,
        (batch) => (side === 0 ? this.#records(batch) : this.#versions(batch)),
        (watermark, idle) => this.#onInputWatermark(side, watermark, idle),
      );
    this.#inputs = [input(0), input(1)];
  }

  override get inputs(): readonly [Operator, Operator] {
    return this.#inputs;
  }
  process(_batch: StreamRecord[]): void {
    throw new Error(`${this.label}: records reach a temporal join through its inputs`);
  }

  #records(batch: StreamRecord[]): void {
    const late: StreamRecord[] = [];
    for (const record of batch) {
      if (record.timestamp < this.#watermark) {
        late.push(record);
        continue;
      }
      const id = timedKey(PENDING, record.timestamp, keyJson(record.key));
      const waiting = this.store.get(id) as PendingAt | undefined;
      const entry: [unknown, Headers?] =
        record.headers === undefined || record.headers.size === 0
          ? [record.value]
          : [record.value, record.headers];
      this.store.put(id, { k: record.key, r: [...(waiting?.r ?? []), entry] });
    }
    this.#late(0, late);
  }

  #versions(batch: StreamRecord[]): void {
    const late: StreamRecord[] = [];
    for (const record of batch) {
      let value: unknown;
      try {
        value = this.#version(record);
      } catch {
        continue; // the table reports it (see the contract)
      }
      const tv = record.timestamp;
      if (tv < this.#watermark - this.historyMs) {
        record.value = value;
        late.push(record);
        continue;
      }
      const json = keyJson(record.key);
      const id = versionKey(json, tv);
      if (tv >= this.#watermark) {
        this.store.put(id, { v: value } satisfies Version);
        this.store.put(timedKey(AHEAD, tv, json), 1);
        continue;
      }
      // Behind the watermark, within history: it replaces the key's version behind the watermark (at most
      // one) unless that one is newer.
      const [current] = this.store.range(versionKey(json, 0), versionKey(json, Math.ceil(this.#watermark)));
      if (current !== undefined) {
        const currentTime = readTime(current.key, current.key.length - 8);
        if (currentTime > tv) continue;
        this.#deleteVersion(json, currentTime);
      }
      this.store.put(id, { v: value } satisfies Version);
      if (value === null) this.store.put(timedKey(FORGET, tv, json), 1);
    }
    this.#late(1, late);
  }

  /** The record as a version: the value after the table's steps, or null for a deletion. */
  #version(record: StreamRecord): unknown {
    let value = record.value;
    for (const step of this.steps) {
      if (value === null || value === undefined) return null;
      const context = this.context.set(record);
      if (step.map !== undefined) value = step.map(value, record.key, context);
      if (step.filter !== undefined && !step.filter(value, record.key, context)) return null;
    }
    return value ?? null;
  }

  #deleteVersion(json: Buffer, tv: number): void {
    this.store.delete(versionKey(json, tv));
    this.store.delete(timedKey(FORGET, tv, json));
  }

  #late(side: Side, late: StreamRecord[]): void {
    if (late.length === 0) return;
    for (const record of late) record.value = { side: sideNames[side], value: record.value };
    this.lateRecords += late.length;
    const last = this.late.length - 1;
    for (let i = 0; i <= last; i++) this.late[i]!.receive(i === last ? late : late.map((r) => r.copy()));
  }

  #onInputWatermark(side: Side, watermark: number, idle: boolean): void {
    if (!this.#combined.update(side, watermark, idle)) return;
    if (this.#combined.current > this.#watermark) {
      this.#watermark = this.#combined.current;
      this.#emitDue();
      this.#compact();
    }
    this.emitWatermark(this.#watermark, this.#combined.idle);
    for (const operator of this.late) operator.onWatermark(this.#watermark, this.#combined.idle, this);
  }

  /** Joins and emits every waiting record with t < W, in time order; their versions are all known now. */
  #emitDue(): void {
    const out: StreamRecord[] = [];
    for (const entry of entriesBefore(this.store, PENDING, Math.ceil(this.#watermark))) {
      this.store.delete(entry.key);
      const t = readTime(entry.key, 1);
      const { k, r } = entry.value as PendingAt;
      const json = keyJson(k);
      const versions = this.store.range(versionKey(json, 0), versionKey(json, t + 1));
      const row = (versions.at(-1)?.value as Version | undefined)?.v ?? undefined;
      if (row === undefined && this.join === 'inner') continue;
      for (const [value, headers] of r) {
        const record = new StreamRecord(k, value, t, headers);
        try {
          record.value = this.joiner(value, row, k, this.context.set(record));
          out.push(record);
        } catch (error) {
          this.reject(error, record);
        }
      }
    }
    if (out.length > 0) this.emit(out);
  }

  /**
   * Keeps, of each key's versions now behind W, only the latest (no later record can see the others),
   * and forgets deletions older than W - history.
   */
  #compact(): void {
    const keys = new Map<string, Buffer>();
    for (const entry of entriesBefore(this.store, AHEAD, Math.ceil(this.#watermark))) {
      this.store.delete(entry.key);
      const json = Buffer.from(entry.key).subarray(9);
      keys.set(json.toString('latin1'), json);
    }
    for (const json of keys.values()) {
      const behind = this.store.range(versionKey(json, 0), versionKey(json, Math.ceil(this.#watermark)));
      for (const [i, entry] of behind.entries()) {
        const tv = readTime(entry.key, entry.key.length - 8);
        if (i < behind.length - 1) this.#deleteVersion(json, tv);
        else if ((entry.value as Version).v === null) this.store.put(timedKey(FORGET, tv, json), 1);
      }
    }
    for (const entry of entriesBefore(this.store, FORGET, Math.ceil(this.#watermark - this.historyMs))) {
      const bytes = Buffer.from(entry.key);
      this.#deleteVersion(bytes.subarray(9), readTime(bytes, 1));
    }
  }

  override onWatermark(): void {
    throw new Error(`${this.label}: watermarks reach a temporal join through its inputs`);
  }

  override timeState(): unknown {
    return Number.isFinite(this.#watermark) ? this.#watermark : null;
  }

  override restoreTimeState(state: unknown): void {
    if (typeof state === 'number' && state > this.#watermark) this.#watermark = state;
  }
}
