import assert from 'node:assert/strict';
import { test } from 'node:test';
import { murmur2, partitionForKey } from './murmur2.ts';

// Kafka's own vectors (UtilsTest.testMurmur2 in the Java client): keys must land where Kafka puts them.
const kafkaVectors: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

test('murmur2 matches the Kafka Java client on its published vectors', () => {
  for (const [key, expected] of kafkaVectors) assert.equal(murmur2(Buffer.from(key)), expected, key);
});

test('partitionForKey is toPositive(murmur2) modulo the partition count', () => {
  for (const [key, hash] of kafkaVectors) {
    for (const partitions of [1, 3, 7, 64]) {
      assert.equal(partitionForKey(Buffer.from(key), partitions), (hash & 0x7fffffff) % partitions);
    }
  }
});
