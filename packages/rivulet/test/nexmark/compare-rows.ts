/**
 * Multiset comparison of result rows, for checking the streaming engine's Nexmark output against the
 * DuckDB oracle.
 *
 * Contract: two rows match when they have the same set of keys and, per key, equal values, where two
 * numbers are equal when |a - b| <= relativeTolerance * max(|a|, |b|) (so 0 only matches 0) and any
 * other values are equal when they have the same type and the same JSON form. Row multiplicity
 * counts: each actual row is matched with at most one expected row. `missing` are the expected rows
 * left unmatched, `unexpected` the actual rows left unmatched, both in input order.
 *
 * Matching: rows are first paired exactly (same canonical form); the rest are grouped by their
 * non-numeric part, sorted by their numbers, and paired greedily within the tolerance. Greedy pairing
 * is exact as long as the tolerance is far smaller than the gaps between distinct values, which is
 * what a tolerance for floating-point rounding (the default 1e-9) is meant for. The tolerance must
 * be in [0, 1).
 */
export interface CompareRowsOptions {
  readonly relativeTolerance?: number;
}

export type Row = Readonly<Record<string, unknown>>;

export interface RowComparison {
  readonly equal: boolean;
  readonly missing: Row[];
  readonly unexpected: Row[];
  readonly summary: string;
}

const SHOWN_ROWS = 5;

interface Entry {
  readonly index: number;
  readonly row: Row;
  /** The row with every number replaced by a placeholder; rows can only match within a shape. */
  readonly shape: string;
  /** The row's numbers, in sorted-key order. */
  readonly numbers: number[];
}

function stringify(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

function entry(row: Row, index: number): Entry {
  const numbers: number[] = [];
  const parts: string[] = [];
  for (const key of Object.keys(row).sort()) {
    const value = row[key];
    if (typeof value === 'number') {
      numbers.push(value);
      parts.push(`${stringify(key)}:#`);
    } else {
      parts.push(`${stringify(key)}:${typeof value}:${stringify(value)}`);
    }
  }
  return { index, row, shape: parts.join(','), numbers };
}

function exactKey(e: Entry): string {
  // String(-0) is '0' and String(NaN) is 'NaN', so -0 matches 0 and NaN matches NaN here.
  return `${e.shape}|${e.numbers.map(String).join(',')}`;
}

function close(a: number, b: number, tolerance: number): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  return Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}

function compareNumbers(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Pairs rows of one shape within the tolerance; returns the unmatched ones of each side. */
function matchWithTolerance(actual: Entry[], expected: Entry[], tolerance: number): [Entry[], Entry[]] {
  const byNumbers = (a: Entry, b: Entry) => compareNumbers(a.numbers, b.numbers);
  const sortedActual = [...actual].sort(byNumbers);
  const sortedExpected = [...expected].sort(byNumbers);
  const used = new Array<boolean>(sortedExpected.length).fill(false);
  const unmatchedActual: Entry[] = [];
  // Both sides are sorted, so a's first number never decreases: an expected row whose first number
  // is below a's and beyond tolerance cannot match this or any later a (for tolerance <= 1).
  let low = 0;
  for (const a of sortedActual) {
    const x = a.numbers[0];
    while (low < sortedExpected.length) {
      const y = sortedExpected[low]!.numbers[0];
      const tooSmall = x !== undefined && y !== undefined && y < x && !close(x, y, tolerance);
      if (!used[low] && !tooSmall) break;
      low++;
    }
    let found = -1;
    for (let i = low; i < sortedExpected.length; i++) {
      if (used[i]) continue;
      const e = sortedExpected[i]!;
      if (a.numbers.every((n, k) => close(n, e.numbers[k]!, tolerance))) {
        found = i;
        break;
      }
      // Once the first number is beyond tolerance above a's, no later row can match.
      const y = e.numbers[0];
      if (x !== undefined && y !== undefined && y > x && !close(x, y, tolerance)) break;
    }
    if (found >= 0) used[found] = true;
    else unmatchedActual.push(a);
  }
  return [unmatchedActual, sortedExpected.filter((_, i) => !used[i])];
}

export function compareRowMultisets(
  actual: readonly Row[],
  expected: readonly Row[],
  options: CompareRowsOptions = {},
): RowComparison {
  const { relativeTolerance = 1e-9 } = options;
  if (!(relativeTolerance >= 0 && relativeTolerance < 1)) {
    throw new RangeError(`relativeTolerance must be in [0, 1), got ${relativeTolerance}`);
  }
  const actualEntries = actual.map(entry);
  const expectedEntries = expected.map(entry);

  // Exact pass: most rows pair up here, cheaply.
  const expectedByKey = groupBy(expectedEntries, exactKey);
  const leftActual: Entry[] = [];
  for (const a of actualEntries) {
    const candidates = expectedByKey.get(exactKey(a));
    if (candidates && candidates.length > 0) candidates.pop();
    else leftActual.push(a);
  }
  const leftExpected = [...expectedByKey.values()].flat();

  // Tolerance pass, within each shape.
  const unexpected: Entry[] = [];
  const missing: Entry[] = [];
  const expectedByShape = groupBy(leftExpected, (e) => e.shape);
  for (const [shape, group] of groupBy(leftActual, (a) => a.shape)) {
    const [a, e] = matchWithTolerance(group, expectedByShape.get(shape) ?? [], relativeTolerance);
    unexpected.push(...a);
    missing.push(...e);
    expectedByShape.delete(shape);
  }
  for (const group of expectedByShape.values()) missing.push(...group);

  const byIndex = (a: Entry, b: Entry) => a.index - b.index;
  missing.sort(byIndex);
  unexpected.sort(byIndex);
  const equal = missing.length === 0 && unexpected.length === 0;
  const lines = [
    `${actual.length} actual rows, ${expected.length} expected rows: ` +
      (equal ? 'equal as multisets' : `${missing.length} missing, ${unexpected.length} unexpected`),
  ];
  const show = (label: string, entries: Entry[]) => {
    if (entries.length === 0) return;
    lines.push(`${label} (${entries.length}${entries.length > SHOWN_ROWS ? `, first ${SHOWN_ROWS}` : ''}):`);
    for (const e of entries.slice(0, SHOWN_ROWS)) lines.push(`  ${stringify(e.row)}`);
  };
  show('missing', missing);
  show('unexpected', unexpected);
  return {
    equal,
    missing: missing.map((e) => e.row),
    unexpected: unexpected.map((e) => e.row),
    summary: lines.join('\n'),
  };
}
