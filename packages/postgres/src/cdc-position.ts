import { formatLsn, parseLsn } from './lsn.ts';

/**
 * Where a CDC reader is in the slot's stream, which delivers whole transactions in commit order. A
 * transaction is named by the LSN of its commit record (`commitLsn`, strictly growing in the stream), a
 * change by its index within the transaction (stable on every replay of the same publication).
 *
 * Text forms: `"16/B374D848"` = every change of every transaction committed at or before that LSN was
 * returned; `"16/B374D848#3"` = also the first 3 changes (indexes 0..2) of the transaction committed at
 * that LSN, and nothing after them.
 */
export class CdcPosition {
  constructor(
    readonly commitLsn: bigint,
    /** Changes of the `commitLsn` transaction returned; undefined: all of them. */
    readonly changes: number | undefined,
  ) {}

  static parse(text: string): CdcPosition | undefined {
    const hash = text.indexOf('#');
    const lsn = parseLsn(hash < 0 ? text : text.slice(0, hash));
    if (lsn === undefined) return undefined;
    if (hash < 0) return new CdcPosition(lsn, undefined);
    const count = text.slice(hash + 1);
    if (!/^[1-9][0-9]{0,9}$/.test(count)) return undefined;
    return new CdcPosition(lsn, Number(count));
  }

  /** True when the change at `index` of the transaction committed at `commitLsn` was already returned. */
  covers(commitLsn: bigint, index: number): boolean {
    if (commitLsn !== this.commitLsn) return commitLsn < this.commitLsn;
    return this.changes === undefined || index < this.changes;
  }

  /**
   * The flush LSN to confirm to the slot for this position: the slot restarts decoding at transactions
   * whose commit record starts at or after it. A whole transaction: just past its commit record start;
   * part of one: its commit record start, so the transaction is decoded again (and the returned part
   * skipped by `covers`).
   */
  flushLsn(): bigint {
    return this.changes === undefined ? this.commitLsn + 1n : this.commitLsn;
  }

  toString(): string {
    const lsn = formatLsn(this.commitLsn);
    return this.changes === undefined ? lsn : `${lsn}#${this.changes}`;
  }
}
