import type { WindowAggregateOp } from '../../plan/index.ts';

type Fn = (...args: unknown[]) => unknown;

/**
 * The arithmetic of a windowed aggregation: folding a record into an accumulator, merging two
 * accumulators (session windows merge when a record bridges them) and the value a result shows. avg
 * keeps [sum, count]. `aggregate` merges only with the user's `merge` function.
 */
export class WindowAccumulator {
  constructor(
    private readonly op: WindowAggregateOp,
    private readonly init: Fn | undefined,
    private readonly add: Fn | undefined,
    private readonly mergeFn: Fn | undefined,
  ) {}

  fold(previous: unknown, value: unknown, key: unknown): unknown {
    switch (this.op) {
      case 'count':
        return ((previous as number | undefined) ?? 0) + 1;
      case 'sum':
        return ((previous as number | undefined) ?? 0) + this.#number(value);
      case 'min': {
        const v = this.#number(value);
        return previous === undefined ? v : Math.min(previous as number, v);
      }
      case 'max': {
        const v = this.#number(value);
        return previous === undefined ? v : Math.max(previous as number, v);
      }
      case 'avg': {
        const v = this.#number(value);
        const [sum, count] = (previous as [number, number] | undefined) ?? [0, 0];
        return [sum + v, count + 1];
      }
      case 'aggregate':
        return this.add!(previous === undefined ? this.init!() : previous, value, key);
    }
  }

  merge(a: unknown, b: unknown, key: unknown): unknown {
    switch (this.op) {
      case 'count':
      case 'sum':
        return (a as number) + (b as number);
      case 'min':
        return Math.min(a as number, b as number);
      case 'max':
        return Math.max(a as number, b as number);
      case 'avg': {
        const [s1, c1] = a as [number, number];
        const [s2, c2] = b as [number, number];
        return [s1 + s2, c1 + c2];
      }
      case 'aggregate':
        return this.mergeFn!(a, b, key);
    }
  }

  value(acc: unknown): unknown {
    if (this.op !== 'avg') return acc;
    const [sum, count] = acc as [number, number];
    return sum / count;
  }

  #number(value: unknown): number {
    const n = this.add!(value);
    if (typeof n !== 'number' || Number.isNaN(n))
      throw new TypeError(`the ${this.op} extractor returned ${String(n)}, not a number`);
    return n;
  }
}
