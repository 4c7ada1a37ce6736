import type { AggregateOp, WindowAggregateOp } from '../../plan/index.ts';
import { emptySketch, sketchAdd, sketchEstimate, sketchMerge } from './hyper-log-log.ts';

type Fn = (...args: unknown[]) => unknown;

/**
 * A copy of a stored accumulator for a user function, which may change its argument in place: stored
 * values can be live state (and already emitted), so user code only ever sees its own copy.
 */
function own(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

/**
 * The arithmetic of an aggregation (keyed tables and windows): folding a record into an accumulator,
 * merging two accumulators (session windows merge when a record bridges them) and the value a result
 * shows. reduce seeds with the first value and combines pairwise (its merge is the same function); avg
 * keeps [sum, count]; countDistinct an object whose keys are the values' JSON (exact); approxCountDistinct
 * a HyperLogLog sketch; topN the `n` values with the largest `add(value)`, largest first (earlier first
 * on ties). `aggregate` merges only with the user's `merge` function.
 */
export class Accumulator {
  constructor(
    private readonly op: AggregateOp | WindowAggregateOp,
    private readonly init: Fn | undefined,
    private readonly add: Fn | undefined,
    private readonly mergeFn: Fn | undefined,
    private readonly n = 0,
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
      case 'reduce':
        return previous === undefined ? value : this.add!(own(previous), value);
      case 'aggregate':
        return this.add!(previous === undefined ? this.init!() : own(previous), value, key);
      case 'countDistinct': {
        const seen = (previous as Record<string, 1> | undefined) ?? {};
        seen[JSON.stringify(this.add!(value)) ?? 'null'] = 1;
        return seen;
      }
      case 'approxCountDistinct': {
        const sketch = previous === undefined ? emptySketch() : (previous as Uint8Array);
        sketchAdd(sketch, this.add!(value));
        return sketch;
      }
      case 'topN':
        return this.#top([...((previous as unknown[] | undefined) ?? []), value]);
    }
  }

  /** The n values with the largest score, largest first; a stable sort keeps earlier values first on ties. */
  #top(values: unknown[]): unknown[] {
    const scored = values.map((v) => ({ v, s: this.#number(v) }));
    scored.sort((a, b) => b.s - a.s);
    return scored.slice(0, this.n).map((x) => x.v);
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
      case 'reduce':
        return this.add!(own(a), b);
      case 'aggregate':
        return this.mergeFn!(own(a), b, key);
      case 'countDistinct':
        return { ...(a as Record<string, 1>), ...(b as Record<string, 1>) };
      case 'approxCountDistinct':
        return sketchMerge(a as Uint8Array, b as Uint8Array);
      case 'topN':
        return this.#top([...(a as unknown[]), ...(b as unknown[])]);
    }
  }

  value(acc: unknown): unknown {
    switch (this.op) {
      case 'avg': {
        const [sum, count] = acc as [number, number];
        return sum / count;
      }
      case 'countDistinct':
        return Object.keys(acc as Record<string, 1>).length;
      case 'approxCountDistinct':
        return sketchEstimate(acc as Uint8Array);
      default:
        return acc;
    }
  }

  #number(value: unknown): number {
    const n = this.add!(value);
    if (typeof n !== 'number' || Number.isNaN(n))
      throw new TypeError(`the ${this.op} extractor returned ${String(n)}, not a number`);
    return n;
  }
}
