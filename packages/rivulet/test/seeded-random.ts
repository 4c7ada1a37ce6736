/**
 * A small seeded PRNG (mulberry32) for fault tests: every random choice comes from one printed seed, so a
 * failure can be replayed with RIVULET_SEED=<seed>.
 */
export class SeededRandom {
  readonly seed: number;
  #state: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** The seed from RIVULET_SEED, or a fresh one; printed so the run can be repeated. */
  static fromEnv(label: string): SeededRandom {
    const fromEnv = process.env.RIVULET_SEED;
    const seed =
      fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 32);
    console.log(`[${label}] seed ${seed} (replay with RIVULET_SEED=${seed})`);
    return new SeededRandom(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
}
