import { PollWaiter, type SinkConnector, type SinkRecord, type SinkWriter } from '../connector/index.ts';
import type { Log, Partition } from '../log/index.ts';
import { EngineError, isEngineError, sleep } from '../model/index.ts';
import type { ErrorRouter } from './error-policy.ts';
import type { PartitionedWriter } from './partitioned-writer.ts';

/** One sink connector of a pipeline and the outbox topic the pipeline writes for it. */
export interface DeliverySink {
  /** The sink's user-given name (`stream.to(name, ...)`). */
  readonly name: string;
  readonly topic: string;
  readonly connector: SinkConnector;
}

export interface SinkDeliveryOptions {
  readonly pipeline: string;
  /** How often positions are committed to the sink (and, for sinks that do not keep them, to the log). */
  readonly commitIntervalMs: number;
  readonly fetchBytes: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** Routes records a sink refuses (INVALID_RECORD) by the pipeline's `produce` policy. */
  readonly errors: ErrorRouter;
  readonly deadLetters: () => readonly PartitionedWriter[];
  /** Resolves once a checkpoint that started after the call is durable (dead letters are then kept). */
  readonly afterNextCheckpoint: () => Promise<void>;
}

/** The consumer group under which delivery positions of a sink without positions of its own are kept. */
export function deliveryGroup(pipeline: string, sink: string): string {
  return `rivulet-sink-${pipeline}-${sink}`;
}

interface SinkState {
  readonly sink: DeliverySink;
  readonly partitions: Partition[];
  writer: SinkWriter | undefined;
  /** Next outbox offset to deliver, per partition. */
  positions: number[];
  /** What the last commit stored. */
  committed: number[];
  /** Dead letters written since the last commit (their checkpoint must be durable first). */
  deadLettered: boolean;
  delivered: number;
  /** Where the loop waits while the outbox has nothing new; woken by `notify()` (a checkpoint). */
  readonly idle: PollWaiter;
}

/**
 * Delivers what the pipeline committed to its outbox topics to the sink connectors, in the coordinating
 * thread, one loop per sink, in outbox order per partition. Reads only committed records (a checkpoint
 * made them so), hands them to `write`, and calls `commit(positions)` about every commit interval; for
 * sinks that are not transactional, the positions are then kept in the log as the offsets of the group
 * `deliveryGroup(...)` (a transactional sink keeps them itself and reports them from `committed()`). After a restart, delivery
 * resumes from those positions: what followed them is delivered again (exactly once for transactional
 * and idempotent sinks, possibly twice for at-least-once ones). A retryable failure reopens the writer
 * after a backoff and replays from the last commit; any other failure rejects `failed`.
 */
export class SinkDelivery {
  readonly #log: Log;
  readonly #options: SinkDeliveryOptions;
  readonly #sinks: SinkState[];
  readonly #stop = new AbortController();
  #draining = false;
  #loops: Promise<void>[] = [];
  #fail!: (error: unknown) => void;
  /** Rejects with the first failure that is not retryable; never resolves. */
  readonly failed: Promise<never>;

  constructor(log: Log, sinks: readonly DeliverySink[], options: SinkDeliveryOptions) {
    this.#log = log;
    this.#options = options;
    this.#sinks = sinks.map((sink) => {
      const count = log.topicConfig(sink.topic).partitions;
      const partitions = Array.from({ length: count }, (_, p) => log.partition(sink.topic, p));
      return {
        sink,
        partitions,
        writer: undefined,
        positions: [],
        committed: [],
        deadLettered: false,
        delivered: 0,
        idle: new PollWaiter(),
      };
    });
    this.failed = new Promise<never>((_, reject) => {
      this.#fail = reject;
    });
    this.failed.catch(() => undefined);
  }

  start(): void {
    this.#loops = this.#sinks.map((state) => this.#run(state));
  }

  /** Records handed to each sink in this run (a replay counts again). */
  delivered(): Map<string, number> {
    return new Map(this.#sinks.map((s) => [s.sink.name, s.delivered]));
  }

  /** Records committed to the outbox but not yet committed to each sink. */
  lag(): Map<string, number> {
    return new Map(
      this.#sinks.map((s) => [
        s.sink.name,
        s.partitions.reduce((sum, p, i) => sum + Math.max(0, p.committedOffset - (s.committed[i] ?? 0)), 0),
      ]),
    );
  }

  /** Wakes idle loops (a checkpoint committed new outbox records). */
  notify(): void {
    for (const state of this.#sinks) state.idle.wake();
  }

  /**
   * Stops delivery and closes the writers. With `drain`, first delivers and commits everything the
   * outbox holds committed (call it after the final checkpoint); a record refused then is left for the
   * next run, since its dead letter could not be checkpointed any more.
   */
  async close(drain: boolean): Promise<void> {
    if (drain) this.#draining = true;
    else this.#stop.abort();
    this.notify();
    await Promise.allSettled(this.#loops);
    this.#stop.abort();
    await Promise.allSettled(
      this.#sinks.map(async (s) => {
        const writer = s.writer;
        s.writer = undefined;
        await writer?.close();
      }),
    );
  }

  async #run(state: SinkState): Promise<void> {
    const signal = this.#stop.signal;
    let backoff = this.#options.retryMinMs;
    while (!signal.aborted) {
      try {
        if (state.writer === undefined) await this.#open(state);
        if (await this.#deliver(state)) return;
        backoff = this.#options.retryMinMs;
      } catch (error) {
        if (signal.aborted) return;
        const writer = state.writer;
        state.writer = undefined;
        await writer?.close().catch(() => undefined);
        if (this.#draining) {
          // Stopping: what is not delivered now stays in the outbox for the next run.
          process.emitWarning(
            `sink '${state.sink.name}' stopped delivering at the pipeline's stop (${(error as Error).message}); the next run delivers the rest`,
            { code: 'RIVULET_SINK_RETRY' },
          );
          return;
        }
        if (!isEngineError(error) || !error.retryable) {
          this.#fail(
            new EngineError(
              'CONNECTOR_FAILED',
              `sink '${state.sink.name}' (${state.sink.connector.connector}) failed: ${(error as Error).message}`,
              {
                cause: error,
                retryable: false,
                details: { sink: state.sink.name, connector: state.sink.connector.connector },
              },
            ),
          );
          return;
        }
        process.emitWarning(`sink '${state.sink.name}': ${error.message}; reopening in ${backoff} ms`, {
          code: 'RIVULET_SINK_RETRY',
        });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, this.#options.retryMaxMs);
      }
    }
  }

  async #open(state: SinkState): Promise<void> {
    const { sink, partitions } = state;
    const writer = await sink.connector.open({
      pipeline: this.#options.pipeline,
      name: sink.name,
      partitions: partitions.length,
    });
    state.writer = writer;
    const own = await writer.committed();
    const group = deliveryGroup(this.#options.pipeline, sink.name);
    state.positions = partitions.map(
      (partition, p) =>
        own?.get(p) ?? this.#log.committedOffset(group, sink.topic, p) ?? partition.logStartOffset,
    );
    state.committed = [...state.positions];
  }

  /** Delivers until stopped (false) or, when draining, until everything committed is (true). */
  async #deliver(state: SinkState): Promise<boolean> {
    const signal = this.#stop.signal;
    const writer = state.writer!;
    let lastCommit = performance.now();
    while (!signal.aborted) {
      let moved = false;
      for (let p = 0; p < state.partitions.length; p++) {
        const partition = state.partitions[p]!;
        const from = state.positions[p]!;
        if (from >= partition.committedOffset) continue;
        const fetched = await partition.fetch(from, this.#options.fetchBytes, 'committed');
        const records: SinkRecord[] = [];
        for (const r of fetched.records) {
          if (r.offset < from) continue;
          records.push({
            key: r.key,
            value: r.value,
            timestamp: r.timestamp,
            headers: r.headers,
            partition: p,
            offset: r.offset,
            id: `${this.#options.pipeline}/${state.sink.name}/${p}/${r.offset}`,
          });
        }
        const written = await this.#write(state, writer, records);
        if (written < records.length) {
          // Draining stopped at a refused record: deliver up to it and leave it for the next run.
          state.positions[p] = records[written]!.offset;
          await this.#commit(state, writer);
          return true;
        }
        state.positions[p] = Math.max(from, fetched.nextOffset);
        moved = true;
      }
      const uncommitted = state.positions.some((offset, p) => offset !== state.committed[p]);
      if (uncommitted && (!moved || performance.now() - lastCommit >= this.#options.commitIntervalMs)) {
        await this.#commit(state, writer);
        lastCommit = performance.now();
      }
      if (moved) continue;
      if (this.#draining) {
        if (uncommitted) await this.#commit(state, writer);
        return true;
      }
      await state.idle.wait(this.#options.commitIntervalMs, signal);
    }
    return false;
  }

  /**
   * Writes records, dead-lettering those the sink refuses one by one; returns how many were handled
   * (all, except when draining stops at a refused record).
   */
  async #write(state: SinkState, writer: SinkWriter, records: SinkRecord[]): Promise<number> {
    let rest = records;
    let handled = 0;
    while (rest.length > 0) {
      try {
        await writer.write(rest);
        state.delivered += rest.length;
        return handled + rest.length;
      } catch (error) {
        const index = isEngineError(error, 'INVALID_RECORD') ? error.details.index : undefined;
        if (typeof index !== 'number' || index < 0 || index >= rest.length) throw error;
        if (this.#draining) {
          if (index > 0) {
            await writer.write(rest.slice(0, index));
            state.delivered += index;
          }
          return handled + index;
        }
        const refused = rest[index]!;
        const router = this.#options.errors;
        router.source = { topic: state.sink.topic, partition: refused.partition };
        router.handle(
          'produce',
          new EngineError('INVALID_RECORD', (error as Error).message, {
            cause: error,
            details: { operator: state.sink.name, connector: state.sink.connector.connector },
          }),
          undefined,
          {
            key: refused.key,
            value: refused.value,
            timestamp: refused.timestamp,
            headers: refused.headers,
            offset: refused.offset,
          },
        );
        await Promise.all(this.#options.deadLetters().map((w) => w.flush()));
        state.deadLettered = true;
        if (index > 0) {
          await writer.write(rest.slice(0, index));
          state.delivered += index;
        }
        handled += index + 1;
        rest = rest.slice(index + 1);
      }
    }
    return handled;
  }

  async #commit(state: SinkState, writer: SinkWriter): Promise<void> {
    if (state.deadLettered) {
      // The dead letters must be in a durable checkpoint before positions move past their records.
      await this.#options.afterNextCheckpoint();
      state.deadLettered = false;
    }
    const positions = new Map(state.positions.map((offset, p) => [p, offset]));
    await writer.commit(positions);
    // A transactional sink keeps its positions itself, atomically with the data.
    if (state.sink.connector.guarantee !== 'transactional') {
      await this.#log.commitOffsets(
        deliveryGroup(this.#options.pipeline, state.sink.name),
        state.positions.map((offset, partition) => ({ topic: state.sink.topic, partition, offset })),
      );
    }
    state.committed = [...state.positions];
  }
}
