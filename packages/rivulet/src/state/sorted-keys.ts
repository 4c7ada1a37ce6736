/**
 * A sorted array of distinct key strings (latin1, see byte-order.ts) with binary search. Lookups and
 * bound searches are O(log n); inserting or removing one key shifts the array (O(n) memmove, cheap up
 * to millions of keys); `insertMany` merges a batch of new keys in one O(n + k log k) pass, so applying a
 * large batch never degrades to k separate shifts.
 */
export class SortedKeys {
  #keys: string[] = [];

  get size(): number {
    return this.#keys.length;
  }

  /** The key at position `i` (0 <= i < size). */
  at(i: number): string {
    return this.#keys[i]!;
  }

  /** The first position whose key is >= `key` (size when none). */
  lowerBound(key: string): number {
    const keys = this.#keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts `key` if absent. */
  insert(key: string): void {
    const i = this.lowerBound(key);
    if (this.#keys[i] !== key) this.#keys.splice(i, 0, key);
  }

  /** Removes `key` if present. */
  remove(key: string): void {
    const i = this.lowerBound(key);
    if (this.#keys[i] === key) this.#keys.splice(i, 1);
  }

  /** Inserts keys known to be absent and distinct (any order). */
  insertMany(added: string[]): void {
    if (added.length < 16) {
      for (const key of added) this.insert(key);
      return;
    }
    added.sort();
    const old = this.#keys;
    const merged = new Array<string>(old.length + added.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < added.length) merged[k++] = old[i]! < added[j]! ? old[i++]! : added[j++]!;
    while (i < old.length) merged[k++] = old[i++]!;
    while (j < added.length) merged[k++] = added[j++]!;
    this.#keys = merged;
  }

  /** Removes many keys (any order) in one pass. */
  removeMany(removed: ReadonlySet<string>): void {
    if (removed.size === 0) return;
    this.#keys = this.#keys.filter((key) => !removed.has(key));
  }

  clear(): void {
    this.#keys = [];
  }

  /**
   * Positions of the keys with `from <= key < to` (undefined bounds are open) as [start, end), in
   * ascending order; walk `end - 1` down to `start` for descending.
   */
  span(from: string | undefined, to: string | undefined): [number, number] {
    const start = from === undefined ? 0 : this.lowerBound(from);
    const end = to === undefined ? this.#keys.length : this.lowerBound(to);
    return [start, Math.max(start, end)];
  }
}
