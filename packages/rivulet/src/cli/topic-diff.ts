/**
 * Comparing the records of two topics (`rivulet diff`), as pure functions over records already read.
 * - `diffRecords`: the topics as multisets of (key, value): how many records only A has, only B has, and
 *   both have (a pair present 3 times in A and once in B counts 1 in both and 2 only in A). Order,
 *   partition, offset, timestamp and headers are ignored.
 * - `diffTables`: the topics as tables: the latest value per key, where a later record of a partition
 *   replaces an earlier one and a null value (tombstone) deletes the key; records without a key are left
 *   out. A key should live in one partition; if it appears in several, the one read last (highest
 *   partition) wins. Reports keys only in A, only in B, and in both with different or equal values.
 * Keys and values are compared as given (the command passes their exact bytes as text).
 */

/** One record as the comparison sees it, in offset order within its partition. */
export interface DiffRecord {
  partition: number;
  key: string | null;
  value: string | null;
}

/** An example difference of `diffRecords`: a (key, value) pair with `count` more copies on `side`. */
export interface RecordDifference {
  side: 'a' | 'b';
  key: string | null;
  value: string | null;
  count: number;
}

export interface RecordsDiff {
  by: 'key-value';
  recordsA: number;
  recordsB: number;
  onlyInA: number;
  onlyInB: number;
  inBoth: number;
  equal: boolean;
  /** Up to `limit` differences, in order of first appearance (A's first). */
  examples: RecordDifference[];
}

/** An example difference of `diffTables`: a key's value in each table (null: no row). */
export interface KeyDifference {
  key: string;
  a: string | null;
  b: string | null;
}

export interface TablesDiff {
  by: 'key';
  keysA: number;
  keysB: number;
  onlyInA: number;
  onlyInB: number;
  different: number;
  same: number;
  equal: boolean;
  /** Up to `limit` differing keys, in key order. */
  examples: KeyDifference[];
}

function pairId(record: DiffRecord): string {
  return JSON.stringify([record.key, record.value]);
}

interface Tally {
  key: string | null;
  value: string | null;
  a: number;
  b: number;
}

/** Compares `a` and `b` as multisets of (key, value) records. */
export function diffRecords(
  a: Iterable<DiffRecord>,
  b: Iterable<DiffRecord>,
  limit = Number.POSITIVE_INFINITY,
): RecordsDiff {
  const tallies = new Map<string, Tally>();
  let recordsA = 0;
  let recordsB = 0;
  const count = (records: Iterable<DiffRecord>, side: 'a' | 'b'): void => {
    for (const record of records) {
      const id = pairId(record);
      let tally = tallies.get(id);
      if (tally === undefined) {
        tally = { key: record.key, value: record.value, a: 0, b: 0 };
        tallies.set(id, tally);
      }
      tally[side]++;
      if (side === 'a') recordsA++;
      else recordsB++;
    }
  };
  count(a, 'a');
  count(b, 'b');
  let onlyInA = 0;
  let onlyInB = 0;
  let inBoth = 0;
  const examples: RecordDifference[] = [];
  for (const tally of tallies.values()) {
    inBoth += Math.min(tally.a, tally.b);
    const extra = tally.a - tally.b;
    if (extra === 0) continue;
    if (extra > 0) onlyInA += extra;
    else onlyInB -= extra;
    if (examples.length < limit) {
      examples.push({
        side: extra > 0 ? 'a' : 'b',
        key: tally.key,
        value: tally.value,
        count: Math.abs(extra),
      });
    }
  }
  return {
    by: 'key-value',
    recordsA,
    recordsB,
    onlyInA,
    onlyInB,
    inBoth,
    equal: onlyInA === 0 && onlyInB === 0,
    examples,
  };
}

/** The latest value per key of a topic read as a table (see the file comment). */
export function latestByKey(records: Iterable<DiffRecord>): Map<string, string> {
  const byPartition = new Map<number, DiffRecord[]>();
  for (const record of records) {
    let list = byPartition.get(record.partition);
    if (list === undefined) {
      list = [];
      byPartition.set(record.partition, list);
    }
    list.push(record);
  }
  const table = new Map<string, string>();
  for (const partition of [...byPartition.keys()].sort((x, y) => x - y)) {
    for (const record of byPartition.get(partition)!) {
      if (record.key === null) continue;
      if (record.value === null) table.delete(record.key);
      else table.set(record.key, record.value);
    }
  }
  return table;
}

/** Compares `a` and `b` as tables: the latest value per key. */
export function diffTables(
  a: Iterable<DiffRecord>,
  b: Iterable<DiffRecord>,
  limit = Number.POSITIVE_INFINITY,
): TablesDiff {
  const tableA = latestByKey(a);
  const tableB = latestByKey(b);
  let onlyInA = 0;
  let onlyInB = 0;
  let different = 0;
  let same = 0;
  const differing: KeyDifference[] = [];
  for (const [key, value] of tableA) {
    const other = tableB.get(key);
    if (other === undefined) onlyInA++;
    else if (other === value) {
      same++;
      continue;
    } else different++;
    differing.push({ key, a: value, b: other ?? null });
  }
  for (const [key, value] of tableB) {
    if (tableA.has(key)) continue;
    onlyInB++;
    differing.push({ key, a: null, b: value });
  }
  differing.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return {
    by: 'key',
    keysA: tableA.size,
    keysB: tableB.size,
    onlyInA,
    onlyInB,
    different,
    same,
    equal: onlyInA === 0 && onlyInB === 0 && different === 0,
    examples: differing.slice(0, Math.min(differing.length, limit)),
  };
}
