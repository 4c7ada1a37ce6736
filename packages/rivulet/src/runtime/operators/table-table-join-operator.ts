import { isDeepStrictEqual } from 'node:util';
import { CombinedWatermark } from '../combined-watermark.ts';
import type { OperatorStore } from '../operator-store.ts';
import type { StreamRecord } from '../stream-record.ts';
import { JoinSideInput } from './join-side-input.ts';
import { Operator, type UserContext } from './operator.ts';

type Joiner = (left: unknown, right: unknown, key: unknown, context: UserContext) => unknown;

/** 0: the left table, 1: the right one. */
type Side = 0 | 1;

const sideNames = ['left', 'right'] as const;

/**
 * A table-table join on the key (Kafka Streams' KTable-KTable join), materialised in `store`.
 *
 * - Input: the changelogs of the two tables (a new value, or null for a deletion), each reaching the
 *   join after its table's store was written. A change of key k on one side takes that side's row from
 *   the change itself and the other side's current row from the other table's store (`tables[other]`),
 *   as the task has written it so far: changes are handled in the order the task processes its inputs.
 *   A table writes a whole batch to its store before passing it on, so when one batch changes both
 *   tables (a table and its own mapValues), an intermediate row may pair a change with the other
 *   table's row as of the batch's end; after the batch the store is the join of the tables again.
 * - Result of k: inner: both rows present -> joiner(l, r, k); left: l present -> joiner(l, r or
 *   undefined, k); outer: either present -> joiner(l or undefined, r or undefined, k); otherwise no row.
 *   A joiner returning null or undefined also means no row.
 * - Output: a row different from the stored result (not `isDeepStrictEqual` to it as decoded from the
 *   store) is stored and emitted; no row where there was one deletes it and emits a null; no row where
 *   there was none, or a row equal to the stored one, emits nothing (no spurious tombstones, no
 *   re-emitted unchanged rows, unlike Kafka Streams). So after every change the store holds the join of
 *   the two tables as they are, and the output is exactly the difference. The record keeps the change's
 *   key, timestamp and headers.
 * - Watermark: the smaller of the two inputs' (as a merge: none until both reported, idle inputs ignored).
 * - Failure: a throwing joiner (or a result the store cannot encode) rejects the change (error policy)
 *   and leaves the stored result as it was; the next change of that key recomputes it from both tables.
 *
 * The parents of each side send to `inputs[side]`, which tells the two changelogs apart.
 */
export class TableTableJoinOperator extends Operator {
  /** Where the parents of the left (0) and right (1) table send their changes and watermarks. */
  readonly #inputs: readonly [Operator, Operator];
  readonly #combined = new CombinedWatermark(2);

  constructor(
    label: string,
    private readonly joiner: Joiner,
    private readonly join: 'inner' | 'left' | 'outer',
    private readonly store: OperatorStore,
    private readonly tables: readonly [left: OperatorStore, right: OperatorStore],
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
    throw new Error(`${this.label}: changes reach a table-table join through its inputs`);
  }

  #process(side: Side, batch: StreamRecord[]): void {
    const other = this.tables[side === 0 ? 1 : 0];
    let kept = 0;
    for (const record of batch) {
      const key = record.key;
      try {
        const own = record.value === null ? undefined : record.value;
        const theirs = other.get(key);
        const [left, right] = side === 0 ? [own, theirs] : [theirs, own];
        const row = this.#row(left, right, record);
        const stored = this.store.get(key);
        if (row === undefined || row === null) {
          if (stored === undefined) continue;
          this.store.delete(key);
          record.value = null;
        } else {
          if (stored !== undefined && isDeepStrictEqual(stored, row)) continue;
          this.store.put(key, row);
          record.value = row;
        }
      } catch (error) {
        this.reject(error, record);
        continue;
      }
      batch[kept++] = record;
    }
    batch.length = kept;
    if (kept > 0) this.emit(batch);
  }

  /** The joined row of the record's key from the two rows (undefined: absent), or undefined for none. */
  #row(left: unknown, right: unknown, record: StreamRecord): unknown {
    const present =
      this.join === 'inner'
        ? left !== undefined && right !== undefined
        : this.join === 'left'
          ? left !== undefined
          : left !== undefined || right !== undefined;
    return present ? this.joiner(left, right, record.key, this.context.set(record)) : undefined;
  }

  #onInputWatermark(side: Side, watermark: number, idle: boolean): void {
    if (this.#combined.update(side, watermark, idle))
      this.emitWatermark(this.#combined.current, this.#combined.idle);
  }

  override onWatermark(): void {
    throw new Error(`${this.label}: watermarks reach a table-table join through its inputs`);
  }
}
