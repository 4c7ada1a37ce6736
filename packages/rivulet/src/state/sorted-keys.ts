/** A chunk holds at most this many keys; a fuller one is split in two. */
const MAX_CHUNK = 1024;

/**
 * A sorted set of distinct key strings (latin1, see byte-order.ts), addressed by position. Keys live in
 * sorted chunks of at most MAX_CHUNK, so inserting or removing one key shifts one chunk (O(chunk), not
 * O(n): a store that scans after every write stays linear), and a lookup is two binary searches
 * (chunks by their last key, then within one). Positions (`at`, `lowerBound`, `span`) are global: chunk
 * start offsets are recomputed, O(chunks), after a change. `insertMany` and `removeMany` rebuild in one
 * O(n + k log k) pass when the batch is large.
 */
export class SortedKeys {
  #chunks: string[][] = [];
  #size = 0;
  /** Where each chunk starts, by position; undefined after a change. */
  #starts: number[] | undefined;

  get size(): number {
    return this.#size;
  }

  #offsets(): number[] {
    if (this.#starts === undefined) {
      const starts = new Array<number>(this.#chunks.length);
      let at = 0;
      for (let c = 0; c < this.#chunks.length; c++) {
        starts[c] = at;
        at += this.#chunks[c]!.length;
      }
      this.#starts = starts;
    }
    return this.#starts;
  }

  /** The chunk `key` belongs in: the first whose last key is >= `key`, else the last one. */
  #chunkFor(key: string): number {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid]!;
      if (chunk[chunk.length - 1]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first index in `chunk` whose key is >= `key`. */
  static #lowerBoundIn(chunk: string[], key: string): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (chunk[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The key at position `i` (0 <= i < size). */
  at(i: number): string {
    const starts = this.#offsets();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.#chunks[lo]![i - starts[lo]!]!;
  }

  /** The first position whose key is >= `key` (size when none). */
  lowerBound(key: string): number {
    if (this.#chunks.length === 0) return 0;
    const c = this.#chunkFor(key);
    const chunk = this.#chunks[c]!;
    const i = SortedKeys.#lowerBoundIn(chunk, key);
    return this.#offsets()[c]! + i;
  }

  /** Inserts `key` if absent. */
  insert(key: string): void {
    if (this.#chunks.length === 0) {
      this.#chunks.push([key]);
      this.#size = 1;
      this.#starts = undefined;
      return;
    }
    const c = this.#chunkFor(key);
    const chunk = this.#chunks[c]!;
    const i = SortedKeys.#lowerBoundIn(chunk, key);
    if (chunk[i] === key) return;
    chunk.splice(i, 0, key);
    this.#size++;
    if (chunk.length > MAX_CHUNK) this.#chunks.splice(c + 1, 0, chunk.splice(chunk.length >>> 1));
    this.#starts = undefined;
  }

  /** Removes `key` if present. */
  remove(key: string): void {
    if (this.#chunks.length === 0) return;
    const c = this.#chunkFor(key);
    const chunk = this.#chunks[c]!;
    const i = SortedKeys.#lowerBoundIn(chunk, key);
    if (chunk[i] !== key) return;
    chunk.splice(i, 1);
    this.#size--;
    if (chunk.length === 0) this.#chunks.splice(c, 1);
    this.#starts = undefined;
  }

  #all(): string[] {
    return this.#chunks.length === 1 ? this.#chunks[0]! : this.#chunks.flat();
  }

  #rebuild(keys: string[]): void {
    const chunks: string[][] = [];
    const half = MAX_CHUNK >>> 1;
    for (let i = 0; i < keys.length; i += half) chunks.push(keys.slice(i, i + half));
    this.#chunks = chunks;
    this.#size = keys.length;
    this.#starts = undefined;
  }

  /** Inserts keys known to be absent and distinct (any order). */
  insertMany(added: string[]): void {
    if (added.length < 16) {
      for (const key of added) this.insert(key);
      return;
    }
    added.sort();
    const old = this.#all();
    const merged = new Array<string>(old.length + added.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < added.length) merged[k++] = old[i]! < added[j]! ? old[i++]! : added[j++]!;
    while (i < old.length) merged[k++] = old[i++]!;
    while (j < added.length) merged[k++] = added[j++]!;
    this.#rebuild(merged);
  }

  /** Removes many keys (any order) in one pass. */
  removeMany(removed: ReadonlySet<string>): void {
    if (removed.size === 0) return;
    this.#rebuild(this.#all().filter((key) => !removed.has(key)));
  }

  clear(): void {
    this.#chunks = [];
    this.#size = 0;
    this.#starts = undefined;
  }

  /**
   * Positions of the keys with `from <= key < to` (undefined bounds are open) as [start, end), in
   * ascending order; walk `end - 1` down to `start` for descending.
   */
  span(from: string | undefined, to: string | undefined): [number, number] {
    const start = from === undefined ? 0 : this.lowerBound(from);
    const end = to === undefined ? this.#size : this.lowerBound(to);
    return [start, Math.max(start, end)];
  }
}
