import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionForKey } from '../model/index.ts';
import { isExchangeRecord, isExchangeSource, LocalExchange } from './local-exchange.ts';
import { StreamRecord } from './stream-record.ts';

test('records go to the partition the topic writer would choose, in push order, with watermarks in line', () => {
  const exchange = new LocalExchange('t', 3);
  const source = { topic: 'in', partition: 1 };
  const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const records = keys.map((k, i) => new StreamRecord(k, i, i, undefined));
  records.forEach((r, i) => {
    exchange.push(Buffer.from(JSON.stringify(keys[i])), r, source);
    if (i === 3) exchange.watermark(3, false, 0);
  });
  // Reference: murmur2 of the encoded key, as PartitionedWriter and Kafka's default partitioner do.
  const expected: string[][] = [[], [], []];
  keys.forEach((k, i) => {
    const p = partitionForKey(Buffer.from(JSON.stringify(k)), 3);
    expected[p]!.push(k);
    if (i === 3) for (const list of expected) list.push('wm3');
  });
  assert.equal(exchange.pending, 7 + 3 + 3); // records, one watermark per partition, one source marker each
  for (let p = 0; p < 3; p++) {
    const entries = exchange.take(p);
    assert.ok(isExchangeSource(entries[0]!), 'the first entry names where the records were read from');
    const rest = entries
      .slice(1)
      .map((e) => (isExchangeRecord(e) ? (e.key as string) : `wm${(e as { watermark: number }).watermark}`));
    assert.deepEqual(rest, expected[p]);
    assert.equal(exchange.take(p).length, 0);
  }
  assert.equal(exchange.pending, 0);
});

test('unkeyed records go round-robin; a source marker is queued only when the source changes', () => {
  const exchange = new LocalExchange('t', 2);
  const a = { topic: 'in', partition: 0 };
  const b = { topic: 'in', partition: 1 };
  for (let i = 0; i < 4; i++)
    exchange.push(null, new StreamRecord(null, i, i, undefined), i < 2 ? a : { ...a });
  exchange.push(null, new StreamRecord(null, 4, 4, undefined), b);
  const zero = exchange
    .take(0)
    .map((e) => (isExchangeSource(e) ? `from ${e.readFrom.partition}` : (e as StreamRecord).value));
  const one = exchange
    .take(1)
    .map((e) => (isExchangeSource(e) ? `from ${e.readFrom.partition}` : (e as StreamRecord).value));
  assert.deepEqual(zero, ['from 0', 0, 2, 'from 1', 4]);
  assert.deepEqual(one, ['from 0', 1, 3]);
});
