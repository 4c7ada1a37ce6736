/**
 * A watermark combined from several sources (the tasks writing a repartition topic, the inputs of a
 * merge): the min over the sources' latest watermarks, ignoring idle ones; the max when all are idle;
 * no watermark (-Infinity) until every source has reported. Never moves back. Its state goes into the
 * checkpoint where a task keeps one.
 */
export class CombinedWatermark {
  readonly #sources: number;
  #latest = new Map<number, { watermark: number; idle: boolean }>();
  #current = Number.NEGATIVE_INFINITY;
  #idle = false;

  constructor(sources: number) {
    this.#sources = sources;
  }

  get current(): number {
    return this.#current;
  }

  get idle(): boolean {
    return this.#idle;
  }

  /** Takes one task's watermark; returns true when the combination moved (or its idleness changed). */
  update(source: number, watermark: number, idle: boolean): boolean {
    const previous = this.#latest.get(source);
    this.#latest.set(source, {
      watermark: Math.max(previous?.watermark ?? Number.NEGATIVE_INFINITY, watermark),
      idle,
    });
    if (this.#latest.size < this.#sources) return false;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let allIdle = true;
    for (const entry of this.#latest.values()) {
      max = Math.max(max, entry.watermark);
      if (!entry.idle) {
        allIdle = false;
        min = Math.min(min, entry.watermark);
      }
    }
    const next = allIdle ? max : min;
    const moved = next > this.#current || allIdle !== this.#idle;
    this.#current = Math.max(this.#current, next);
    this.#idle = allIdle;
    return moved;
  }

  state(): Array<[number, number, boolean]> {
    return [...this.#latest].map(([s, e]) => [s, e.watermark, e.idle]);
  }

  restore(state: unknown): void {
    if (!Array.isArray(state)) return;
    this.#latest = new Map();
    // JSON has no -Infinity: a task that reported idle before any record was stored as null.
    for (const [s, w, idle] of state as Array<[number, number | null, boolean]>)
      this.update(s, typeof w === 'number' ? w : Number.NEGATIVE_INFINITY, idle);
  }
}
