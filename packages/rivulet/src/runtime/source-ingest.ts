import type { SourceBatch, SourceConnector, SourceReader } from '../connector/index.ts';
import type { EncodableRecord, Log } from '../log/index.ts';
import { EngineError, isEngineError, sleep } from '../model/index.ts';
import type { SourcePositions } from './checkpoint.ts';
import type { ErrorRouter } from './error-policy.ts';
import type { PartitionedWriter } from './partitioned-writer.ts';

/** One source connector of a pipeline, with where each of its splits resumes. */
export interface IngestSource {
  /** The source's user-given name (`pipeline.from(name, ...)`), under which checkpoints keep positions. */
  readonly name: string;
  /** The ingest topic: split i is appended to partition i modulo its partition count. */
  readonly topic: string;
  readonly connector: SourceConnector;
  readonly splits: readonly string[];
  /** Per split, the position to resume after (from the checkpoint recovered to); absent: the start. */
  readonly positions: ReadonlyMap<string, string>;
}

export interface SourceIngestOptions {
  /** Records asked for per poll. */
  readonly maxRecords: number;
  /** How long a poll waits when nothing is ready (also how late a queued commit may run). */
  readonly pollWaitMs: number;
  /** Bounds of the wait before reopening a reader that failed with a retryable error. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** Routes records the log refuses (RECORD_TOO_LARGE) by the pipeline's `deserialize` policy. */
  readonly errors: ErrorRouter;
  /** Dead-letter writers the router writes to; flushed with each append. */
  readonly deadLetters: () => readonly PartitionedWriter[];
}

interface SplitState {
  readonly source: IngestSource;
  readonly split: string;
  readonly partition: number;
  reader: SourceReader | undefined;
  /** The position after the last record appended to the ingest topic (what a checkpoint records). */
  position: string | undefined;
  /** A checkpointed position to commit to the reader before its next poll. */
  pendingCommit: string | undefined;
  recordsIn: number;
}

/**
 * Reads a pipeline's source connectors into their ingest topics, in the coordinating thread, one loop
 * per split. Contract with the runner's checkpoints:
 * - `pause()` resolves once no append is in flight and none will start until `resume()`: the ingest
 *   topics' ends then match `positions()` exactly, so a checkpoint taken meanwhile records both.
 * - `commit(positions)` is called with a checkpoint's positions once that checkpoint is durable; each
 *   reader gets its position before its next poll (polls, commits and closes of a reader never overlap).
 *   Nothing is acknowledged to the external system before that.
 * - A retryable reader failure reopens the split after a backoff, from the last appended position; any
 *   other failure rejects `failed` (the run fails).
 */
export class SourceIngest {
  readonly #log: Log;
  readonly #options: SourceIngestOptions;
  readonly #splits: SplitState[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  #loops: Promise<void>[] = [];
  #paused: { promise: Promise<void>; resolve: () => void } | undefined;
  #fail!: (error: unknown) => void;
  /** Rejects with the first failure that is not retryable; never resolves. */
  readonly failed: Promise<never>;

  constructor(log: Log, sources: readonly IngestSource[], options: SourceIngestOptions) {
    this.#log = log;
    this.#options = options;
    for (const source of sources) {
      const partitions = log.topicConfig(source.topic).partitions;
      source.splits.forEach((split, i) => {
        this.#splits.push({
          source,
          split,
          partition: i % partitions,
          reader: undefined,
          position: source.positions.get(split),
          pendingCommit: undefined,
          recordsIn: 0,
        });
      });
    }
    this.failed = new Promise<never>((_, reject) => {
      this.#fail = reject;
    });
    this.failed.catch(() => undefined);
  }

  /** Opens every split and starts reading. */
  start(): void {
    this.#loops = this.#splits.map((state) => this.#run(state));
  }

  /** Records read per source since the start of this run. */
  recordsIn(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.#splits) counts.set(s.source.name, (counts.get(s.source.name) ?? 0) + s.recordsIn);
    return counts;
  }

  /** Waits for appends in flight and holds new ones until `resume()`. */
  async pause(): Promise<void> {
    if (this.#paused === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#paused = { promise, resolve };
    }
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  resume(): void {
    const paused = this.#paused;
    this.#paused = undefined;
    paused?.resolve();
  }

  /** The position of every split after its last append (consistent with the topics while paused). */
  positions(): SourcePositions {
    const positions: SourcePositions = new Map();
    for (const s of this.#splits) {
      if (s.position === undefined) continue;
      let splits = positions.get(s.source.name);
      if (splits === undefined) {
        splits = new Map();
        positions.set(s.source.name, splits);
      }
      splits.set(s.split, s.position);
    }
    return positions;
  }

  /** Queues a durable checkpoint's positions for the readers to acknowledge (see the class comment). */
  commit(positions: SourcePositions): void {
    for (const s of this.#splits) {
      const position = positions.get(s.source.name)?.get(s.split);
      if (position !== undefined) s.pendingCommit = position;
    }
  }

  /**
   * Stops reading (a poll in progress is aborted), acknowledges the positions queued by `commit` and
   * closes the readers. Call after the final checkpoint, with the ingest paused since it was taken.
   */
  async close(): Promise<void> {
    this.#stop.abort();
    this.resume();
    await Promise.allSettled(this.#loops);
    await Promise.allSettled(
      this.#splits.map(async (s) => {
        const reader = s.reader;
        s.reader = undefined;
        if (reader === undefined) return;
        try {
          if (s.pendingCommit !== undefined) await reader.commit(s.pendingCommit);
        } finally {
          await reader.close();
        }
      }),
    );
  }

  async #run(state: SplitState): Promise<void> {
    const signal = this.#stop.signal;
    let backoff = this.#options.retryMinMs;
    while (!signal.aborted) {
      try {
        if (state.reader === undefined)
          state.reader = await state.source.connector.open(state.split, state.position);
        const reader = state.reader;
        while (!signal.aborted) {
          const pending = state.pendingCommit;
          if (pending !== undefined) {
            state.pendingCommit = undefined;
            await reader.commit(pending);
          }
          const batch = await reader.poll(this.#options.maxRecords, this.#options.pollWaitMs, signal);
          if (signal.aborted) break;
          if (batch.records.length === 0 && batch.position === state.position) continue;
          while (this.#paused !== undefined && !signal.aborted) await this.#paused.promise;
          if (signal.aborted) break;
          await this.#track(this.#append(state, batch));
          backoff = this.#options.retryMinMs;
        }
      } catch (error) {
        if (signal.aborted) return;
        const reader = state.reader;
        state.reader = undefined;
        await reader?.close().catch(() => undefined);
        if (!isEngineError(error) || !error.retryable) {
          this.#fail(
            new EngineError(
              'CONNECTOR_FAILED',
              `source '${state.source.name}' (${state.source.connector.connector}) split '${state.split}' failed: ${(error as Error).message}`,
              {
                cause: error,
                retryable: false,
                details: {
                  source: state.source.name,
                  split: state.split,
                  connector: state.source.connector.connector,
                },
              },
            ),
          );
          return;
        }
        process.emitWarning(
          `source '${state.source.name}' split '${state.split}': ${error.message}; reopening in ${backoff} ms`,
          { code: 'RIVULET_SOURCE_RETRY' },
        );
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, this.#options.retryMaxMs);
      }
    }
  }

  #track(append: Promise<void>): Promise<void> {
    this.#inFlight.add(append);
    return append.finally(() => this.#inFlight.delete(append));
  }

  /**
   * Appends a batch to the split's partition and only then moves the split's position, so `pause()`
   * (which awaits this) always sees positions matching the topic. Records the log refuses as too large
   * go to the `deserialize` policy (dead letter, skip or fail) and the rest is appended.
   */
  async #append(state: SplitState, batch: SourceBatch): Promise<void> {
    let records: EncodableRecord[] = batch.records as EncodableRecord[];
    let deadLettered = false;
    while (records.length > 0) {
      try {
        await this.#log.append(state.source.topic, state.partition, records);
        break;
      } catch (error) {
        const index = isEngineError(error, 'RECORD_TOO_LARGE') ? error.details.index : undefined;
        if (typeof index !== 'number') throw error;
        const rejected = records[index]!;
        const router = this.#options.errors;
        router.source = { topic: state.source.topic, partition: state.partition };
        router.handle(
          'deserialize',
          new EngineError('RECORD_TOO_LARGE', (error as Error).message, {
            details: { operator: state.source.name, split: state.split },
          }),
          undefined,
          { ...rejected, headers: rejected.headers ?? undefined, offset: -1 },
        );
        records = records.filter((_, i) => i !== index);
        deadLettered = true;
      }
    }
    if (deadLettered) await Promise.all(this.#options.deadLetters().map((w) => w.flush()));
    state.position = batch.position;
    state.recordsIn += records.length;
  }
}
