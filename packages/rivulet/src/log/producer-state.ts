import { EngineError } from '../model/index.ts';
import { type BatchHeader, NO_PRODUCER } from './record-batch.ts';

/** The last batches of one idempotent producer on one partition (Kafka keeps 5). */
interface ProducerEntry {
  epoch: number;
  lastSequence: number;
  batches: Array<{ baseSequence: number; lastSequence: number; baseOffset: number; lastOffset: number }>;
}

const REMEMBERED_BATCHES = 5;

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number; lastOffset: number };

/** What to put back if the write of a group fails. */
export type ProducerUndo = Array<[producerId: number, previous: ProducerEntry | undefined]>;

/**
 * Per-partition state of idempotent producers: the sequence each producer must send next and the offsets
 * of its recent batches, so a retried batch is answered with its original offsets instead of appended
 * twice. Rebuilt on recovery from the last sealed segment's snapshot plus the batches after it.
 */
export class ProducerStateTable {
  #entries = new Map<number, ProducerEntry>();

  /**
   * Decides what to do with a batch of `count` records. Throws PRODUCER_FENCED for an old epoch and
   * OUT_OF_ORDER_SEQUENCE for a gap or an old sequence this table no longer remembers.
   */
  check(producerId: number, epoch: number, baseSequence: number, count: number): SequenceVerdict {
    const entry = this.#entries.get(producerId);
    if (entry === undefined || epoch > entry.epoch) {
      if (baseSequence !== 0 && entry !== undefined) {
        throw new EngineError(
          'OUT_OF_ORDER_SEQUENCE',
          `a new producer epoch must start at sequence 0, got ${baseSequence}`,
          {
            details: { producerId, epoch, baseSequence },
          },
        );
      }
      return { kind: 'append' };
    }
    if (epoch < entry.epoch) {
      throw new EngineError(
        'PRODUCER_FENCED',
        `producer ${producerId} epoch ${epoch} was fenced by epoch ${entry.epoch}`,
        {
          details: { producerId, epoch, currentEpoch: entry.epoch },
        },
      );
    }
    for (const batch of entry.batches) {
      if (batch.baseSequence === baseSequence && batch.lastSequence === baseSequence + count - 1) {
        return { kind: 'duplicate', baseOffset: batch.baseOffset, lastOffset: batch.lastOffset };
      }
    }
    if (baseSequence === entry.lastSequence + 1) return { kind: 'append' };
    throw new EngineError(
      'OUT_OF_ORDER_SEQUENCE',
      `producer ${producerId} sent sequence ${baseSequence}, expected ${entry.lastSequence + 1}`,
      { details: { producerId, epoch, baseSequence, expected: entry.lastSequence + 1 } },
    );
  }

  /** Records an appended batch; pushes what it replaced onto `undo` when given. */
  record(
    producerId: number,
    epoch: number,
    baseSequence: number,
    count: number,
    baseOffset: number,
    lastOffset: number,
    undo?: ProducerUndo,
  ): void {
    const previous = this.#entries.get(producerId);
    undo?.push([producerId, previous === undefined ? undefined : cloneEntry(previous)]);
    const entry: ProducerEntry =
      previous === undefined || epoch > previous.epoch ? { epoch, lastSequence: -1, batches: [] } : previous;
    entry.lastSequence = baseSequence + count - 1;
    entry.batches.push({ baseSequence, lastSequence: entry.lastSequence, baseOffset, lastOffset });
    if (entry.batches.length > REMEMBERED_BATCHES) entry.batches.shift();
    this.#entries.set(producerId, entry);
  }

  /** Reverts `record` calls, newest first. */
  undo(undo: ProducerUndo): void {
    for (let i = undo.length - 1; i >= 0; i--) {
      const [producerId, previous] = undo[i]!;
      if (previous === undefined) this.#entries.delete(producerId);
      else this.#entries.set(producerId, previous);
    }
  }

  /** Replays a batch read during recovery. */
  observe(header: BatchHeader): void {
    if (header.producerId === NO_PRODUCER) return;
    this.record(
      header.producerId,
      header.producerEpoch,
      header.baseSequence,
      header.recordCount,
      header.baseOffset,
      header.baseOffset + header.lastOffsetDelta,
    );
  }

  snapshot(): string {
    return JSON.stringify({ version: 1, producers: [...this.#entries] });
  }

  /** Loads a snapshot; returns false if it is not a valid one (the caller then rebuilds by scanning). */
  restore(text: string): boolean {
    try {
      const parsed = JSON.parse(text) as { version: number; producers: Array<[number, ProducerEntry]> };
      if (parsed.version !== 1 || !Array.isArray(parsed.producers)) return false;
      this.#entries = new Map(parsed.producers);
      return true;
    } catch {
      return false;
    }
  }

  /** Forgets batches at or after `offset` (the partition was truncated there). */
  truncate(offset: number): void {
    for (const [producerId, entry] of this.#entries) {
      entry.batches = entry.batches.filter((b) => b.lastOffset < offset);
      const last = entry.batches[entry.batches.length - 1];
      if (last === undefined) this.#entries.delete(producerId);
      else entry.lastSequence = last.lastSequence;
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}

function cloneEntry(entry: ProducerEntry): ProducerEntry {
  return { epoch: entry.epoch, lastSequence: entry.lastSequence, batches: entry.batches.slice() };
}
