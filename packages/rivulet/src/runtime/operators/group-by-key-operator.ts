import { EngineError, partitionForKey } from '../../model/index.ts';
import type { StreamRecord } from '../stream-record.ts';
import { Operator } from './operator.ts';

/**
 * Passes records on unchanged, keyed by the key they already carry, and checks the premise of
 * `groupByKey()`: every record has a key, and its input key bytes hash (murmur2, the default
 * partitioner) to the partition the task reads. A record failing either goes to the error policy:
 * keyed state must not be split between tasks. Records without an input record (the test driver's single
 * partition) are not hash-checked.
 */
export class GroupByKeyOperator extends Operator {
  constructor(
    label: string,
    private readonly partition: number,
    private readonly partitions: number,
  ) {
    super(label);
  }

  process(batch: StreamRecord[]): void {
    let kept = 0;
    const partitions = this.partitions;
    for (const record of batch) {
      const bytes = record.origin?.key;
      if (record.key === null || record.key === undefined || bytes === null) {
        this.reject(
          new EngineError('INVALID_RECORD', 'the record has no key: groupByKey() groups by the record key'),
          record,
        );
        continue;
      }
      if (bytes !== undefined && partitions > 1 && partitionForKey(bytes, partitions) !== this.partition) {
        this.reject(
          new EngineError(
            'COPARTITION_MISMATCH',
            `key ${JSON.stringify(record.key)} hashes to partition ${partitionForKey(bytes, partitions)} of ${partitions}, but was read from partition ${this.partition}: the input is not partitioned by its key (murmur2 of the key bytes); use keyBy() to repartition it`,
          ),
          record,
        );
        continue;
      }
      batch[kept++] = record;
    }
    batch.length = kept;
    this.emit(batch);
  }
}
