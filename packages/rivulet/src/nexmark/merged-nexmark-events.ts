import type { NexmarkConfig } from './nexmark-config.ts';
import type { NexmarkEvent } from './nexmark-event.ts';
import { NexmarkGenerator } from './nexmark-generator.ts';

/** One generator per split of `options` (split k: its own id space on the shared timeline). */
export function nexmarkSplits(options: Partial<NexmarkConfig>): NexmarkGenerator[] {
  const splits = options.splits ?? 1;
  return Array.from({ length: splits }, (_, split) => new NexmarkGenerator(options, split));
}

/**
 * Every split's events as one stream in event-time order, pulled one at a time (`undefined` at the
 * end): per millisecond, the lower split's events first, each split in its own order. With one split,
 * the generator itself. What a single reader of all splits sees (the JSONL file for DuckDB, the peers).
 */
export class MergedNexmarkEvents {
  readonly #splits: NexmarkGenerator[];
  #split = 0;
  #time = Number.NEGATIVE_INFINITY;

  constructor(options: Partial<NexmarkConfig>) {
    this.#splits = nexmarkSplits(options);
  }

  next(): NexmarkEvent | undefined {
    const splits = this.#splits;
    if (splits.length === 1) {
      const only = splits[0]!;
      return only.hasNext() ? only.next() : undefined;
    }
    for (;;) {
      for (; this.#split < splits.length; this.#split++) {
        const g = splits[this.#split]!;
        if (g.hasNext() && g.timestampOf(g.count) === this.#time) return g.next();
      }
      let time = Number.POSITIVE_INFINITY;
      for (const g of splits) if (g.hasNext()) time = Math.min(time, g.timestampOf(g.count));
      if (time === Number.POSITIVE_INFINITY) return undefined;
      this.#time = time;
      this.#split = 0;
    }
  }
}
