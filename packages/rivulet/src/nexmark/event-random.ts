/**
 * The generator's random source: 32-bit splitmix-style steps from a state that `reset` derives from
 * (seed, event id), so each event's choices depend only on its id and the seed (any event can be
 * generated alone, and a restarted generator repeats itself). One instance is reused for every event:
 * no allocation per event. Not for cryptography.
 */
export class EventRandom {
  #state = 0;

  /** Starts the sequence of event `eventId` under `seed`. */
  reset(seed: number, eventId: number): void {
    const low = eventId >>> 0;
    const high = Math.floor(eventId / 4294967296) >>> 0;
    let h = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(low, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) ^ Math.imul(high + 0x27d4eb2f, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 13), 0x297a2d39);
    this.#state = (h ^ (h >>> 16)) | 0;
  }

  /** 32 random bits as an unsigned integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x9e3779b9) | 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, bound) for 1 <= bound <= 2^32 (multiply-shift: bias below 2^-32 * bound). */
  nextInt(bound: number): number {
    return Math.floor((this.nextUint32() / 4294967296) * bound);
  }

  /** Uniform in [0, bound) for bounds up to 2^53 (two draws). */
  nextLong(bound: number): number {
    if (bound <= 4294967296) return this.nextInt(bound);
    return Math.floor(this.nextDouble() * bound);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextDouble(): number {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  }
}
