import { isDeepStrictEqual } from 'node:util';
import { CombinedWatermark } from '../combined-watermark.ts';
import type { OperatorStore } from '../operator-store.ts';
import { StreamRecord } from '../stream-record.ts';
import { JoinSideInput } from './join-side-input.ts';
import { Operator, type UserContext } from './operator.ts';
import type { WindowStateStore } from './window-operator.ts';

type ForeignKeyFn = (value: unknown, key: unknown, context: UserContext) => unknown;
type Joiner = (value: unknown, row: unknown, key: unknown, context: UserContext) => unknown;

// 'F' + JSON(left key) -> the left key's current foreign key; 'I' + JSON(fk) + 0x00 + JSON(left key) -> 1.
const fkEntry = (key: unknown): Buffer => Buffer.from(`F${JSON.stringify(key)}`);
const indexPrefix = (fk: unknown): Buffer => Buffer.from(`I${JSON.stringify(fk)}\u0000`);
const indexEntry = (fk: unknown, key: unknown): Buffer =>
  Buffer.from(`I${JSON.stringify(fk)}\u0000${JSON.stringify(key)}`);

/**
 * A foreign-key join of a table (left) with a global table, materialised in `store` and keyed by the
 * left key. Inputs: the changelogs of both (a new value, or null for a deletion), each arriving after its
 * table's store was written, in the order the task processes them.
 *
 * - A left change (k, v) computes fk = fkFn(v, k) (null or undefined: none) and the result of k from v
 *   and the global row under fk. `index` remembers each left key's fk and, per fk, its left keys (JSON
 *   never contains a raw 0x00, which separates them), so a global change (fk, w) recomputes the result
 *   of every left key pointing at fk, with that key as the output record's key.
 * - Result: `inner`: v and the row both present -> joiner(v, row, k); `left`: v present -> joiner(v,
 *   row or undefined, k); otherwise, or a joiner returning null or undefined, no row. A row different
 *   from the stored one is stored and emitted; a vanished row is deleted and emitted as null; nothing
 *   else is emitted (no spurious tombstones, no unchanged rows).
 * - Watermark: the smaller of the two inputs'.
 * - Failure: a throwing fkFn or joiner rejects the change (error policy); the stored result and index
 *   stay as they were for that key.
 */
export class ForeignKeyJoinOperator extends Operator {
  /** Where the parents of the left table (0) and of the global table (1) send their changes. */
  readonly #inputs: readonly [Operator, Operator];
  readonly #combined = new CombinedWatermark(2);
  #loaded = false;

  constructor(
    label: string,
    private readonly fkFn: ForeignKeyFn,
    private readonly joiner: Joiner,
    private readonly join: 'inner' | 'left',
    private readonly store: OperatorStore,
    private readonly index: WindowStateStore,
    private readonly tables: readonly [left: OperatorStore, global: OperatorStore],
    /** Processing time: the timestamp of results recomputed when the global table is loaded. */
    private readonly clock: () => number,
  ) {
    super(label);
    const input = (side: 0 | 1): Operator =>
      new JoinSideInput(
        `${label} (${side === 0 ? 'table' : 'global table'})`,
        (batch) => (side === 0 ? this.#left(batch) : this.#global(batch)),
        (watermark, idle) => {
          if (this.#combined.update(side, watermark, idle))
            this.emitWatermark(this.#combined.current, this.#combined.idle);
        },
      );
    this.#inputs = [input(0), input(1)];
  }

  override get inputs(): readonly [Operator, Operator] {
    return this.#inputs;
  }
  process(_batch: StreamRecord[]): void {
    throw new Error(`${this.label}: changes reach a foreign-key join through its inputs`);
  }

  override onWatermark(): void {
    throw new Error(`${this.label}: watermarks reach a foreign-key join through its inputs`);
  }

  #left(batch: StreamRecord[]): void {
    let kept = 0;
    for (const record of batch) {
      const key = record.key;
      try {
        const value = record.value === null ? undefined : record.value;
        const context = this.context.set(record);
        const fk = value === undefined ? undefined : (this.fkFn(value, key, context) ?? undefined);
        const row = fk === undefined ? undefined : this.tables[1].get(fk);
        const result = this.#result(value, row, key, context);
        const previous = this.index.get(fkEntry(key));
        if (!isDeepStrictEqual(previous, fk)) {
          if (previous !== undefined) this.index.delete(indexEntry(previous, key));
          if (fk === undefined) this.index.delete(fkEntry(key));
          else {
            this.index.put(fkEntry(key), fk);
            this.index.put(indexEntry(fk, key), 1);
          }
        }
        if (!this.#store(key, result, record)) continue;
      } catch (error) {
        this.reject(error, record);
        continue;
      }
      batch[kept++] = record;
    }
    batch.length = kept;
    if (kept > 0) this.emit(batch);
  }

  /**
   * The global table is loaded (its topic read to its end as of the task's start, every partition):
   * until now its changes were only stored (replaying its history must not flip results back to old
   * rows); now every left key with a foreign key is recomputed against it, emitting what changed while
   * the task was not running.
   */
  override globalTablesLoaded(): void {
    if (this.#loaded) return;
    this.#loaded = true;
    const out: StreamRecord[] = [];
    for (const entry of this.index.range(Buffer.from('F'), Buffer.from('G'))) {
      const key = JSON.parse(Buffer.from(entry.key).toString('utf8', 1)) as unknown;
      const record = new StreamRecord(key, null, this.clock(), undefined);
      try {
        const row = this.tables[1].get(entry.value);
        const result = this.#result(this.tables[0].get(key), row, key, this.context.set(record));
        if (this.#store(key, result, record)) out.push(record);
      } catch (error) {
        this.reject(error, record);
      }
    }
    if (out.length > 0) this.emit(out);
  }

  #global(batch: StreamRecord[]): void {
    if (!this.#loaded) return;
    const out: StreamRecord[] = [];
    for (const change of batch) {
      const row = change.value === null ? undefined : change.value;
      const from = indexPrefix(change.key);
      const to = Buffer.from(from);
      to[to.length - 1] = 0x01;
      for (const entry of this.index.range(from, to)) {
        const key = JSON.parse(Buffer.from(entry.key).toString('utf8', from.length)) as unknown;
        const record = new StreamRecord(
          key,
          null,
          change.timestamp,
          change.headers,
          change.offset,
          change.origin,
        );
        try {
          const value = this.tables[0].get(key);
          const result = this.#result(value, row, key, this.context.set(record));
          if (this.#store(key, result, record)) out.push(record);
        } catch (error) {
          this.reject(error, record);
        }
      }
    }
    if (out.length > 0) this.emit(out);
  }

  #result(value: unknown, row: unknown, key: unknown, context: UserContext): unknown {
    const present = this.join === 'inner' ? value !== undefined && row !== undefined : value !== undefined;
    return present ? (this.joiner(value, row, key, context) ?? undefined) : undefined;
  }

  /** Stores the result of `key` and sets the record's value to the change; false when nothing changed. */
  #store(key: unknown, result: unknown, record: StreamRecord): boolean {
    const stored = this.store.get(key);
    if (result === undefined) {
      if (stored === undefined) return false;
      this.store.delete(key);
      record.value = null;
      return true;
    }
    if (stored !== undefined && isDeepStrictEqual(stored, result)) return false;
    this.store.put(key, result);
    record.value = result;
    return true;
  }
}
