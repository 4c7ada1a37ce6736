import { randomInt } from 'node:crypto';

/**
 * A small deterministic PRNG (xorshift32 state, multiplicative output scramble). Fault tests draw every
 * random choice from one instance so a failing run replays exactly with `RIVULET_SEED=<seed>`.
 * Not for cryptography.
 */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    const s = seed >>> 0;
    this.#state = s === 0 ? 0x9e3779b9 : s;
    // Warm up so nearby seeds diverge quickly.
    for (let i = 0; i < 8; i++) this.nextU32();
  }

  /** A uniform unsigned 32-bit integer. */
  nextU32(): number {
    let x = this.#state;
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    this.#state = x;
    return Math.imul(x, 0x2545f491) >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A uniform integer in [lo, hi] (both inclusive). */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }
}

/**
 * The seed of a fault test: `RIVULET_SEED` when set (a replay), otherwise a fresh random one. Prints it
 * with the test's name so any failure can be replayed.
 */
export function faultSeed(testName: string): number {
  const fromEnv = process.env.RIVULET_SEED;
  let seed: number;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    seed = Number(fromEnv);
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
      throw new Error(`RIVULET_SEED must be an integer in [0, 2^32), got '${fromEnv}'`);
    }
  } else seed = randomInt(0, 0xffff_ffff);
  console.log(`[${testName}] seed=${seed} (replay with RIVULET_SEED=${seed})`);
  return seed;
}
