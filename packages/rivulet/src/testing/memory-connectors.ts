import {
  type ConnectorRecord,
  PollWaiter,
  type SinkConnector,
  type SinkRecord,
  type SinkWriter,
  type SourceBatch,
  type SourceConnector,
  type SourceReader,
} from '../connector/index.ts';
import { EngineError } from '../model/index.ts';

/**
 * An in-memory source connector for tests: named splits of records that tests append to; a position is
 * the number of a split's records read (text), so reopening at a position resumes right after it
 * (positioned, exactly-once replay). `committed` shows what the engine acknowledged, `opened` counts
 * readers. `failNextPoll(split, error)` makes that split's next poll reject once.
 */
export interface MemorySource extends SourceConnector {
  append(split: string, records: readonly ConnectorRecord[]): void;
  readonly committed: ReadonlyMap<string, string>;
  readonly opened: number;
  failNextPoll(split: string, error: Error): void;
}

export function memorySource(splits: readonly string[]): MemorySource {
  const data = new Map<string, ConnectorRecord[]>(splits.map((s) => [s, []]));
  const committed = new Map<string, string>();
  const failures = new Map<string, Error>();
  /** One per open reader: an append wakes every reader waiting for records. */
  const waiters = new Set<PollWaiter>();
  let opened = 0;
  const wake = (): void => {
    for (const w of waiters) w.wake();
  };
  const records = (split: string): ConnectorRecord[] => {
    const list = data.get(split);
    if (list === undefined) throw new EngineError('INVALID_ARGUMENT', `unknown split '${split}'`);
    return list;
  };
  return {
    kind: 'source-connector',
    connector: 'memory',
    features: { ordered: true, persistent: true, positioned: true, replay: 'exactly-once' },
    splits: () => Promise.resolve([...data.keys()]),
    get committed() {
      return committed;
    },
    get opened() {
      return opened;
    },
    append(split, added) {
      records(split).push(...added);
      wake();
    },
    failNextPoll(split, error) {
      failures.set(split, error);
    },
    open(split, position) {
      const list = records(split);
      let next = position === undefined ? 0 : Number(position);
      if (!Number.isSafeInteger(next) || next < 0 || next > list.length)
        return Promise.reject(new EngineError('SOURCE_POSITION_INVALID', `bad position '${position}'`));
      opened++;
      const waiter = new PollWaiter();
      waiters.add(waiter);
      const reader: SourceReader = {
        async poll(maxRecords, maxWaitMs, signal): Promise<SourceBatch> {
          const failure = failures.get(split);
          if (failure !== undefined) {
            failures.delete(split);
            throw failure;
          }
          if (next >= list.length) await waiter.wait(maxWaitMs, signal);
          const batch = list.slice(next, next + maxRecords);
          next += batch.length;
          return { records: batch, position: String(next) };
        },
        commit(at) {
          committed.set(split, at);
          return Promise.resolve();
        },
        close() {
          waiters.delete(waiter);
          return Promise.resolve();
        },
      };
      return Promise.resolve(reader);
    },
  };
}

/**
 * An in-memory transactional sink for tests: `write` buffers, `commit` moves the buffer to `records`
 * together with the positions (what `committed()` returns afterwards); a writer closed without a commit
 * loses its buffer, like a crash. `refuse(predicate)` makes `write` refuse matching records with
 * INVALID_RECORD; `failNextCommit(error)` makes the next commit reject once.
 */
export interface MemorySink extends SinkConnector {
  readonly records: readonly SinkRecord[];
  readonly positions: ReadonlyMap<number, number> | undefined;
  refuse(predicate: (record: SinkRecord) => boolean): void;
  failNextCommit(error: Error): void;
}

export function memorySink(): MemorySink {
  const stored: SinkRecord[] = [];
  let positions: Map<number, number> | undefined;
  let refused: (record: SinkRecord) => boolean = () => false;
  let commitFailure: Error | undefined;
  return {
    kind: 'sink-connector',
    connector: 'memory',
    guarantee: 'transactional',
    get records() {
      return stored;
    },
    get positions() {
      return positions;
    },
    refuse(predicate) {
      refused = predicate;
    },
    failNextCommit(error) {
      commitFailure = error;
    },
    open() {
      let buffer: SinkRecord[] = [];
      const writer: SinkWriter = {
        committed: () => Promise.resolve(positions === undefined ? undefined : new Map(positions)),
        write(records) {
          const index = records.findIndex((r) => refused(r));
          if (index >= 0)
            return Promise.reject(
              new EngineError('INVALID_RECORD', `record ${records[index]!.id} refused`, {
                details: { index },
              }),
            );
          buffer.push(...records);
          return Promise.resolve();
        },
        commit(at) {
          if (commitFailure !== undefined) {
            const failure = commitFailure;
            commitFailure = undefined;
            buffer = [];
            return Promise.reject(failure);
          }
          stored.push(...buffer);
          buffer = [];
          positions = new Map(at);
          return Promise.resolve();
        },
        close() {
          buffer = [];
          return Promise.resolve();
        },
      };
      return Promise.resolve(writer);
    },
  };
}
