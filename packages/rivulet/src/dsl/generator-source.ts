import { EngineError } from '../model/index.ts';

/**
 * One partition of a generator: records addressed by position 0, 1, 2... A partition must give the same
 * record for a position every time it is opened (so a restarted pipeline resumes where its checkpoint
 * says, exactly once): generate from a seed and the position, or read immutable data.
 */
export interface GeneratorPartition<T> {
  /** Appends the records at positions [from, from + count) to `out`; count <= size - from. */
  read(from: number, count: number, out: T[]): void;
}

/**
 * An in-process source: values produced in the task that reads them (no log, no encoding), in
 * partitions each read by one task. Positions are recorded in checkpoints like topic offsets. A bounded
 * generator's end is the end of event time for its tasks: when a partition is read to its end, every
 * window and timer downstream of it may fire (as a bounded source's end does in Flink).
 */
export interface GeneratorSource<out T> {
  readonly kind: 'generator';
  readonly partitions: number;
  /** Records in `partition` (Infinity when unbounded). Called in the coordinating thread. */
  size(partition: number): number;
  /** Opens `partition` where its task runs (a worker thread, or the calling thread). */
  open(partition: number): GeneratorPartition<T>;
  readonly __produces?: () => T;
}

/** A generator source over `partitions` partitions (see GeneratorSource). */
export function generatorSource<T>(spec: {
  partitions: number;
  size: (partition: number) => number;
  open: (partition: number) => GeneratorPartition<T>;
}): GeneratorSource<T> {
  if (!Number.isSafeInteger(spec.partitions) || spec.partitions < 1)
    throw new EngineError(
      'INVALID_ARGUMENT',
      `a generator needs at least one partition, got ${spec.partitions}`,
    );
  return { kind: 'generator', partitions: spec.partitions, size: spec.size, open: spec.open };
}
