import {
  type Bytes,
  EngineError,
  isEngineError,
  type ProducerRecord,
  partitionForKey,
} from '../model/index.ts';
import type { AppendResult } from './fetch-result.ts';
import type { Log } from './log.ts';
import type { EncodableRecord } from './record-batch.ts';

export interface ProducerOptions {
  /**
   * Idempotent producers (default) number their batches per partition; a batch retried after an unknown
   * outcome is appended once and answered with its original offsets.
   */
  idempotent?: boolean;
}

/** Where one `send` put records of one partition. */
export interface SendResult extends AppendResult {
  topic: string;
  partition: number;
  count: number;
}

function toBytes(value: Bytes | null | undefined, what: string): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return value;
  throw new EngineError('INVALID_RECORD', `${what} must be a string, Uint8Array or null`);
}

/**
 * Sends records to topics of the embedded log. Keyed records go to murmur2(key) % partitions (Kafka's
 * default partitioner); records with an explicit `partition` go there; unkeyed records of one `send` go
 * together to one partition, the next send to the next (sticky round-robin). Records of one partition
 * keep their order within a send, and sends to one partition are appended in call order.
 */
export class Producer {
  readonly #log: Log;
  readonly #idempotent: boolean;
  #producerId = -1;
  #epoch = 0;
  /** Next sequence per topic, per partition. */
  readonly #sequences = new Map<string, number[]>();
  #sticky = 0;

  constructor(log: Log, options: ProducerOptions) {
    this.#log = log;
    this.#idempotent = options.idempotent ?? true;
    if (this.#idempotent) this.#producerId = log.allocateProducerId();
  }

  get producerId(): number {
    return this.#producerId;
  }

  /**
   * Appends the records and resolves once all are acknowledged, with one result per partition touched (in
   * partition order). Validation errors reject before anything is appended. If one partition's append
   * fails, the others may still have succeeded; the rejection says which failed.
   */
  async send(topic: string, records: readonly ProducerRecord[]): Promise<SendResult[]> {
    const config = this.#log.topicConfig(topic);
    const partitions = config.partitions;
    const now = this.#log.clock.now();
    const byPartition: EncodableRecord[][] = [];
    const sticky = this.#sticky++ % partitions;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      if (record === null || typeof record !== 'object')
        throw new EngineError('INVALID_RECORD', `record ${i} is not an object`);
      const key = toBytes(record.key, `record ${i} key`);
      let partition = record.partition;
      if (partition === undefined) partition = key === null ? sticky : partitionForKey(key, partitions);
      else if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        throw new EngineError(
          'UNKNOWN_PARTITION',
          `record ${i}: topic '${topic}' has no partition ${partition}`,
          {
            details: { topic, partition, partitions },
          },
        );
      }
      const timestamp = record.timestamp ?? now;
      if (!Number.isSafeInteger(timestamp)) {
        throw new EngineError(
          'INVALID_RECORD',
          `record ${i} has an invalid timestamp ${String(record.timestamp)}`,
        );
      }
      const encodable: EncodableRecord = {
        key,
        value: toBytes(record.value, `record ${i} value`),
        headers: record.headers,
        timestamp,
      };
      const list = byPartition[partition];
      if (list === undefined) byPartition[partition] = [encodable];
      else list.push(encodable);
    }
    const sends: Array<Promise<SendResult>> = [];
    for (let p = 0; p < byPartition.length; p++) {
      const batch = byPartition[p];
      if (batch !== undefined) sends.push(this.#sendPartition(topic, p, batch));
    }
    return Promise.all(sends);
  }

  async #sendPartition(topic: string, partition: number, records: EncodableRecord[]): Promise<SendResult> {
    if (!this.#idempotent) {
      const result = await this.#log.append(topic, partition, records);
      return { topic, partition, count: records.length, ...result };
    }
    let sequences = this.#sequences.get(topic);
    if (sequences === undefined) {
      sequences = [];
      this.#sequences.set(topic, sequences);
    }
    const baseSequence = sequences[partition] ?? 0;
    sequences[partition] = baseSequence + records.length;
    const epoch = this.#epoch;
    try {
      const result = await this.#log.append(topic, partition, records, {
        producerId: this.#producerId,
        producerEpoch: epoch,
        baseSequence,
      });
      return { topic, partition, count: records.length, ...result };
    } catch (error) {
      // The batch was not appended (validation, disk full). Start a new epoch so later sends do not
      // leave a sequence gap; sends still in flight under the old epoch fail with OUT_OF_ORDER_SEQUENCE.
      if (isEngineError(error) && this.#epoch === epoch) {
        this.#epoch++;
        this.#sequences.clear();
      }
      throw error;
    }
  }
}
