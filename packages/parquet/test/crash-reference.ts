import type { SinkRecord } from 'rivulet/connector';
import type { ParquetColumn } from '../src/index.ts';

/** The crash test's table and its reference rows: seq 0..total-1 over 2 outbox partitions, 5 hours of timestamps. */
export const crashColumns: ParquetColumn[] = [
  { name: 'seq', type: 'INT64' },
  { name: 'name', type: 'STRING' },
  { name: 'amount', type: 'DOUBLE' },
  { name: 'ok', type: 'BOOLEAN' },
];

export const CRASH_PARTITIONS = 2;
const START = Date.UTC(2026, 11, 7, 10, 0, 0);

export function crashRecord(seq: number): SinkRecord {
  const partition = seq % CRASH_PARTITIONS;
  const offset = Math.floor(seq / CRASH_PARTITIONS);
  return {
    key: null,
    value: Buffer.from(JSON.stringify({ seq, name: `row-${seq}`, amount: seq / 4, ok: seq % 3 === 0 })),
    timestamp: START + seq * 6_000,
    headers: undefined,
    partition,
    offset,
    id: `crash/sink/${partition}/${offset}`,
  };
}
