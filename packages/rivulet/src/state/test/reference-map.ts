/**
 * The independent reference for property tests: a plain Map keyed by latin1 strings, sorted on every
 * read with the default string sort (which is unsigned byte order for latin1), so it shares no code with
 * the stores' ordered structures.
 */
export class ReferenceMap {
  readonly entries = new Map<string, string>();

  put(key: string, value: string): void {
    this.entries.set(key, value);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  copy(): ReferenceMap {
    const out = new ReferenceMap();
    for (const [k, v] of this.entries) out.entries.set(k, v);
    return out;
  }

  range(
    from: string | undefined,
    to: string | undefined,
    limit = Number.POSITIVE_INFINITY,
    reverse = false,
  ): Array<[string, string]> {
    const all = [...this.entries]
      .filter(([k]) => (from === undefined || k >= from) && (to === undefined || k < to))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (reverse) all.reverse();
    return all.slice(0, limit);
  }

  prefix(prefix: string, limit?: number): Array<[string, string]> {
    return this.range(undefined, undefined)
      .filter(([k]) => k.startsWith(prefix))
      .slice(0, limit);
  }
}
