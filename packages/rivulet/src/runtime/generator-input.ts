import type { FetchResult, PartitionClient } from '../log/index.ts';
import { EngineError } from '../model/index.ts';
import type { Plan, SourceNode } from '../plan/index.ts';

/** Values a step reads from a generator partition at most (about a log fetch's worth). */
const GENERATOR_BATCH = 2048;

/** The watermark a bounded generator's end sends downstream: every window and event-time timer may fire. */
export const END_OF_INPUT_WATERMARK = Number.MAX_SAFE_INTEGER;

interface UserPartition {
  read(from: number, count: number, out: unknown[]): void;
}

/**
 * One task's view of a generator source's partition (GeneratorSource in the DSL), shaped as a log
 * partition for the task set's bookkeeping (positions, high watermark, waiting): `highWatermark` is the
 * partition's size (MAX_SAFE_INTEGER when unbounded), data is always ready until the end, and nothing
 * comes after it. `read` produces the values themselves: they are never encoded.
 */
export class GeneratorInput implements PartitionClient {
  readonly logStartOffset = 0;
  readonly highWatermark: number;
  readonly #partition: UserPartition;
  readonly #values: unknown[] = [];

  constructor(plan: Plan, source: SourceNode, partition: number) {
    const generator = source.generator!;
    const size = generatorSize(plan, source, partition);
    this.highWatermark = Number.isFinite(size) ? size : Number.MAX_SAFE_INTEGER;
    this.#partition = (plan.functions.get(generator.open) as unknown as (p: number) => UserPartition)(
      partition,
    );
  }

  /** The values from `position` on (at most a batch), in a buffer reused by the next call. */
  read(position: number): unknown[] {
    const values = this.#values;
    values.length = 0;
    const count = Math.min(GENERATOR_BATCH, this.highWatermark - position);
    if (count > 0) this.#partition.read(position, count, values);
    if (values.length !== Math.max(count, 0))
      throw new EngineError(
        'PROCESSING_FAILED',
        `generator partition returned ${values.length} values for ${count} positions from ${position}`,
      );
    return values;
  }

  fetch(): Promise<FetchResult> {
    return Promise.reject(new EngineError('INTERNAL', 'a generator input is read with read(), not fetch()'));
  }

  /** True at once while there is data; otherwise (at the end) waits out the timeout or the abort. */
  waitForData(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (offset < this.highWatermark) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve(false);
        },
        { once: true },
      );
    });
  }
}

/**
 * The size of every partition of every generator source of `plan` (Infinity when unbounded), by the
 * name its positions have in checkpoints; the user's size functions run once each, here.
 */
export function generatorEnds(plan: Plan): Map<string, number[]> {
  const ends = new Map<string, number[]>();
  for (const node of plan.nodes)
    if (node.kind === 'source' && node.generator !== undefined)
      ends.set(
        node.topic,
        Array.from({ length: node.generator.partitions }, (_, p) => generatorSize(plan, node, p)),
      );
  return ends;
}

/** Records in a generator source's partition (Infinity when unbounded); INVALID_ARGUMENT for a bad size. */
export function generatorSize(plan: Plan, source: SourceNode, partition: number): number {
  const size = (plan.functions.get(source.generator!.size) as unknown as (p: number) => unknown)(partition);
  if (
    typeof size !== 'number' ||
    !(size === Number.POSITIVE_INFINITY || (Number.isSafeInteger(size) && size >= 0))
  )
    throw new EngineError(
      'INVALID_ARGUMENT',
      `generator '${source.name}' partition ${partition}: size must be a whole number >= 0 or Infinity, got ${String(size)}`,
    );
  return size;
}
