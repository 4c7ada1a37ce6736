import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  armFailpoint,
  disarmFailpoints,
  isEngineError,
  ManualClock,
  partitionForKey,
} from '../model/index.ts';
import { createLog, type Log, type LogOptions } from './log.ts';
import type { LogRecord } from './log-record.ts';
import { decodeBatches } from './record-batch.ts';
import { verifyLog } from './verify.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'rivulet-log-'));
}

async function withLog(
  options: Partial<LogOptions>,
  body: (log: Log, dir: string) => Promise<void>,
): Promise<void> {
  const dir = tempDir();
  const log = await createLog({ dataDir: dir, maintenanceInterval: false, ...options });
  try {
    await body(log, dir);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function readAll(log: Log, topic: string, partition: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  const p = log.partition(topic, partition);
  let offset = p.logStartOffset;
  while (offset < p.highWatermark) {
    const fetched = await log.fetch(topic, partition, offset, 4096);
    out.push(...fetched.records);
    if (fetched.nextOffset <= offset) break;
    offset = fetched.nextOffset;
  }
  return out;
}

const code = (c: string) => (e: unknown) => isEngineError(e) && e.code === c;

test('keyed records land on murmur2 partitions, in order, across segment rolls and a restart', async () => {
  const dir = tempDir();
  const sent: Array<{ key: string; value: string; partition: number }> = [];
  let log = await createLog({ dataDir: dir, segmentBytes: 2048, maintenanceInterval: false });
  await log.createTopic('orders', { partitions: 3 });
  const producer = log.createProducer();
  for (let round = 0; round < 40; round++) {
    const batch = Array.from({ length: 1 + (round % 7) }, (_, i) => ({
      key: `sku-${(round * 7 + i) % 13}`,
      value: `order-${round}-${i}`,
    }));
    await producer.send('orders', batch);
    for (const r of batch) sent.push({ ...r, partition: partitionForKey(Buffer.from(r.key), 3) });
  }
  await log.close();
  log = await createLog({ dataDir: dir, segmentBytes: 2048, maintenanceInterval: false });
  try {
    for (let p = 0; p < 3; p++) {
      const records = await readAll(log, 'orders', p);
      const expected = sent.filter((r) => r.partition === p);
      assert.deepEqual(
        records.map((r) => [r.offset, r.keyString(), r.valueString()]),
        expected.map((r, i) => [i, r.key, r.value]),
      );
    }
    assert.ok(
      log.describeTopic('orders').partitions.some((p) => p.segments > 1),
      'expected segment rolls',
    );
    const next = await log.createProducer().send('orders', [{ key: 'sku-1', value: 'after-restart' }]);
    const p = partitionForKey(Buffer.from('sku-1'), 3);
    assert.equal(next[0]!.baseOffset, sent.filter((r) => r.partition === p).length);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an idempotent retry returns the original offsets and is stored once, also after a restart', async () => {
  const dir = tempDir();
  let log = await createLog({ dataDir: dir, maintenanceInterval: false, segmentBytes: 1024 });
  await log.createTopic('t');
  const records = [0, 1, 2].map((i) => ({
    key: null,
    value: Buffer.from(`r${i}`),
    headers: undefined,
    timestamp: i,
  }));
  const producer = { producerId: 77, producerEpoch: 0, baseSequence: 0 };
  const first = await log.append('t', 0, records, producer);
  const again = await log.append('t', 0, records, producer);
  assert.deepEqual(again, { baseOffset: first.baseOffset, lastOffset: first.lastOffset, duplicate: true });
  await log.append('t', 0, records, { ...producer, baseSequence: 3 });
  await assert.rejects(
    log.append('t', 0, records, { ...producer, baseSequence: 9 }),
    code('OUT_OF_ORDER_SEQUENCE'),
  );
  await log.close();
  log = await createLog({ dataDir: dir, maintenanceInterval: false, segmentBytes: 1024 });
  try {
    const retried = await log.append('t', 0, records, { ...producer, baseSequence: 3 });
    assert.deepEqual(retried, { baseOffset: 3, lastOffset: 5, duplicate: true });
    await log.append('t', 0, records, { ...producer, producerEpoch: 1, baseSequence: 0 });
    await assert.rejects(
      log.append('t', 0, records, { ...producer, baseSequence: 6 }),
      code('PRODUCER_FENCED'),
    );
    assert.deepEqual(
      (await readAll(log, 't', 0)).map((r) => r.valueString()),
      ['r0', 'r1', 'r2', 'r0', 'r1', 'r2', 'r0', 'r1', 'r2'],
    );
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input gets stable error codes and changes nothing', async () => {
  await withLog({ maxRecordBytes: 1000 }, async (log, dir) => {
    await log.createTopic('t', { partitions: 2 });
    await log.createTopic('kv', { cleanup: 'compact' });
    const producer = log.createProducer();
    await assert.rejects(producer.send('t', [{ value: 'x'.repeat(2000) }]), code('RECORD_TOO_LARGE'));
    await assert.rejects(producer.send('nope', [{ value: 'x' }]), code('UNKNOWN_TOPIC'));
    await assert.rejects(producer.send('t', [{ value: 'x', partition: 5 }]), code('UNKNOWN_PARTITION'));
    await assert.rejects(producer.send('t', [{ value: 'x', timestamp: Number.NaN }]), code('INVALID_RECORD'));
    await assert.rejects(producer.send('kv', [{ value: 'no key' }]), code('INVALID_RECORD'));
    await assert.rejects(log.createTopic('t'), code('TOPIC_EXISTS'));
    await assert.rejects(log.createTopic('bad/name'), code('INVALID_TOPIC_NAME'));
    await assert.rejects(log.createTopic('__mine'), code('INVALID_TOPIC_NAME'));
    await assert.rejects(log.createTopic('zero', { partitions: 0 }), code('INVALID_ARGUMENT'));
    await producer.send('t', [{ value: 'ok', partition: 0 }]);
    await assert.rejects(log.fetch('t', 0, -1), code('OFFSET_OUT_OF_RANGE'));
    await assert.rejects(log.fetch('t', 0, 2), code('OFFSET_OUT_OF_RANGE'));
    await assert.rejects(log.fetch('t', 0, 1.5), code('OFFSET_OUT_OF_RANGE'));
    await assert.rejects(log.fetch('t', 9, 0), code('UNKNOWN_PARTITION'));
    assert.deepEqual((await log.fetch('t', 0, 1)).records, []);
    await assert.rejects(createLog({ dataDir: dir }), code('LOG_LOCKED'));
    assert.deepEqual(
      log.describeTopic('t').partitions.map((p) => p.highWatermark),
      [1, 0],
    );
  });
});

test('offsetForTimestamp finds the first offset whose timestamp is at least T (out-of-order timestamps)', async () => {
  await withLog({ segmentBytes: 1500 }, async (log) => {
    await log.createTopic('t');
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const timestamps: number[] = [];
    for (let i = 0; i < 300; i++) timestamps.push(1000 + i * 10 + Math.floor(random() * 200) - 100);
    for (let i = 0; i < timestamps.length; i += 5) {
      await log.createProducer().send(
        't',
        timestamps.slice(i, i + 5).map((ts) => ({ value: `v${ts}`, timestamp: ts })),
      );
    }
    for (const target of [0, 900, 1000, 1234, 2000, 2500, 3999, 4100, 5000]) {
      const reference = timestamps.findIndex((ts) => ts >= target);
      assert.equal(
        await log.offsetForTimestamp('t', 0, target),
        reference < 0 ? null : reference,
        `target ${target}`,
      );
    }
  });
});

test('retention deletes whole expired or excess segments, moves the start offset, and survives a restart', async () => {
  const clock = new ManualClock(1_000_000);
  const dir = tempDir();
  let log = await createLog({ dataDir: dir, clock, maintenanceInterval: false });
  try {
    await log.createTopic('old', { segmentBytes: 1000, retention: { time: '1h' } });
    await log.createTopic('big', { segmentBytes: 1000, retention: { bytes: 3000 } });
    const producer = log.createProducer();
    for (let i = 0; i < 120; i++) {
      await producer.send('old', [{ value: `old-${i}`.padEnd(90, '.'), timestamp: clock.now() }]);
      await producer.send('big', [{ value: `big-${i}`.padEnd(90, '.'), timestamp: clock.now() }]);
      clock.advance(60_000);
    }
    const horizon = clock.now() - 3_600_000;
    const segmentsBefore = log.describeTopic('old').partitions[0]!.segments;
    const result = await log.runMaintenance();
    assert.ok(result.segmentsDeleted > 0);
    const old = log.describeTopic('old').partitions[0]!;
    const remaining = await readAll(log, 'old', 0);
    assert.ok(old.segments < segmentsBefore && old.logStartOffset > 0);
    assert.equal(remaining[0]!.offset, old.logStartOffset);
    assert.deepEqual(
      remaining.map((r) => r.offset),
      Array.from({ length: 120 - old.logStartOffset }, (_, i) => old.logStartOffset + i),
    );
    // Whole segments only: what was deleted was all expired, and the oldest kept segment still holds an
    // unexpired record (otherwise it would have been deleted too).
    const keptSegmentEnd = remaining.findIndex((r) => r.timestamp >= horizon);
    assert.ok(
      keptSegmentEnd >= 0 && keptSegmentEnd < 12,
      `first unexpired record is ${keptSegmentEnd} records into the log`,
    );
    assert.ok(old.logStartOffset <= 60, 'a record younger than 1h was deleted');
    await assert.rejects(log.fetch('old', 0, old.logStartOffset - 1), code('OFFSET_OUT_OF_RANGE'));
    const big = log.describeTopic('big').partitions[0]!;
    assert.ok(big.sizeBytes >= 3000 && big.sizeBytes < 3000 + 1200, `size ${big.sizeBytes}`);
    await log.close();
    log = await createLog({ dataDir: dir, clock, maintenanceInterval: false });
    assert.equal(log.describeTopic('old').partitions[0]!.logStartOffset, old.logStartOffset);
    assert.deepEqual(
      (await readAll(log, 'old', 0)).map((r) => r.offset),
      remaining.map((r) => r.offset),
    );
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compaction keeps the latest record per key with its offset, and drops tombstones after their delay', async () => {
  const clock = new ManualClock(10_000_000);
  await withLog({ clock }, async (log) => {
    await log.createTopic('kv', { cleanup: 'compact', segmentBytes: 800, tombstoneRetention: '10m' });
    const producer = log.createProducer();
    const all: Array<{ offset: number; key: string; value: string | null; ts: number }> = [];
    for (let i = 0; i < 200; i++) {
      const key = `k${(i * 7) % 11}`;
      const value = i % 23 === 0 ? null : `v${i}`;
      const [sent] = await producer.send('kv', [{ key, value, timestamp: clock.now() }]);
      all.push({ offset: sent!.baseOffset, key, value, ts: clock.now() });
      clock.advance(1000);
    }
    await log.partition('kv', 0).roll();
    const reference = (dropTombstonesBefore: number) => {
      const latest = new Map<string, number>();
      for (const r of all) latest.set(r.key, r.offset);
      return all.filter(
        (r) => latest.get(r.key) === r.offset && !(r.value === null && r.ts < dropTombstonesBefore),
      );
    };
    await log.runMaintenance();
    const compacted = await readAll(log, 'kv', 0);
    assert.deepEqual(
      compacted.map((r) => [r.offset, r.keyString(), r.valueString()]),
      reference(0).map((r) => [r.offset, r.key, r.value]),
    );
    clock.advance(3_600_000);
    await log.runMaintenance();
    const later = await readAll(log, 'kv', 0);
    assert.deepEqual(
      later.map((r) => [r.offset, r.keyString(), r.valueString()]),
      reference(clock.now() - 600_000).map((r) => [r.offset, r.key, r.value]),
    );
    const [after] = await producer.send('kv', [{ key: 'k1', value: 'new' }]);
    assert.equal(after!.baseOffset, 200);
  });
});

test('consumer groups split partitions, resume from commits and refuse commits from an old generation', async () => {
  await withLog({}, async (log) => {
    await log.createTopic('events', { partitions: 4 });
    const producer = log.createProducer();
    for (let p = 0; p < 4; p++)
      await producer.send(
        'events',
        Array.from({ length: 5 }, (_, i) => ({ value: `p${p}-${i}`, partition: p })),
      );
    const a = log.createConsumer({ topics: ['events'], group: 'g', from: 'earliest', maxWaitMs: 20 });
    assert.deepEqual(
      a.assignment().map((x) => x.partition),
      [0, 1, 2, 3],
    );
    const b = log.createConsumer({ topics: ['events'], group: 'g', from: 'earliest', maxWaitMs: 20 });
    assert.deepEqual(
      a.assignment().map((x) => x.partition),
      [0, 1],
    );
    assert.deepEqual(
      b.assignment().map((x) => x.partition),
      [2, 3],
    );
    const seenA = (await a.poll()).flatMap((batch) => batch.records.map((r) => r.valueString()));
    assert.deepEqual(seenA.sort(), [
      'p0-0',
      'p0-1',
      'p0-2',
      'p0-3',
      'p0-4',
      'p1-0',
      'p1-1',
      'p1-2',
      'p1-3',
      'p1-4',
    ]);
    await a.commit();
    const c = log.createConsumer({ topics: ['events'], group: 'g', from: 'earliest', maxWaitMs: 20 });
    await assert.rejects(a.commit(), code('ILLEGAL_GENERATION'));
    b.close();
    c.close();
    a.close();
    assert.equal(log.committedOffset('g', 'events', 0), 5);
    const d = log.createConsumer({ topics: ['events'], group: 'g', from: 'earliest', maxWaitMs: 20 });
    const rest: string[] = [];
    for (let i = 0; i < 4; i++)
      for (const batch of await d.poll()) rest.push(...batch.records.map((r) => r.valueString()!));
    assert.deepEqual(rest.sort(), [
      'p2-0',
      'p2-1',
      'p2-2',
      'p2-3',
      'p2-4',
      'p3-0',
      'p3-1',
      'p3-2',
      'p3-3',
      'p3-4',
    ]);
    d.close();
  });
});

test('a long poll returns as soon as data arrives, and empty after its timeout', async () => {
  await withLog({}, async (log) => {
    await log.createTopic('t');
    const consumer = log.createConsumer({ topics: ['t'], from: 'latest', maxWaitMs: 5000 });
    const started = Date.now();
    const polled = consumer.poll();
    await log.createProducer().send('t', [{ value: 'hello' }]);
    const batches = await polled;
    assert.equal(batches[0]!.records[0]!.valueString(), 'hello');
    assert.ok(Date.now() - started < 4000);
    const idle = log.createConsumer({ topics: ['t'], from: 'latest', maxWaitMs: 30 });
    assert.deepEqual(await idle.poll(), []);
    consumer.close();
    idle.close();
  });
});

test('every durability mode and gzip compression acknowledge readable records', async () => {
  for (const durability of ['fsync', 'none', 'interval(20ms)'] as const) {
    await withLog({ durability }, async (log) => {
      await log.createTopic('plain');
      await log.createTopic('zipped', { compression: 'gzip' });
      for (const topic of ['plain', 'zipped']) {
        const values = Array.from({ length: 50 }, (_, i) => `${durability}-${topic}-${i}`.repeat(5));
        await log.createProducer().send(
          topic,
          values.map((value) => ({ value })),
        );
        assert.deepEqual(
          (await readAll(log, topic, 0)).map((r) => r.valueString()),
          values,
        );
      }
    });
  }
});

test('truncateTo removes everything from a batch start on, across segments, and survives restarts and repeats', async () => {
  const dir = tempDir();
  let log = await createLog({ dataDir: dir, segmentBytes: 600, maintenanceInterval: false });
  try {
    await log.createTopic('t', { durability: 'none' });
    const producer = log.createProducer();
    const ends: number[] = [];
    for (let i = 0; i < 40; i++) {
      const [r] = await producer.send('t', [
        { value: `a${i}`.padEnd(40, '.') },
        { value: `b${i}`.padEnd(40, '.') },
      ]);
      ends.push(r!.lastOffset + 1);
    }
    await log.partition('t', 0).sync();
    assert.ok(log.describeTopic('t').partitions[0]!.segments > 3);
    await assert.rejects(log.partition('t', 0).truncateTo(31), code('INVALID_ARGUMENT'));
    await assert.rejects(log.partition('t', 0).truncateTo(81), code('OFFSET_OUT_OF_RANGE'));
    const cut = ends[12]!;
    await log.partition('t', 0).truncateTo(cut);
    const kept = await readAll(log, 't', 0);
    assert.deepEqual(
      kept.map((r) => r.offset),
      Array.from({ length: cut }, (_, i) => i),
    );
    const [next] = await log.createProducer().send('t', [{ value: 'after' }]);
    assert.equal(next!.baseOffset, cut);
    await log.close();
    log = await createLog({ dataDir: dir, segmentBytes: 600, maintenanceInterval: false });
    assert.deepEqual(
      (await readAll(log, 't', 0)).map((r) => r.valueString()!.replace(/\.+$/, '')),
      [...Array.from({ length: 13 }, (_, i) => [`a${i}`, `b${i}`]).flat(), 'after'],
    );
    await log.partition('t', 0).truncateTo(cut);
    await log.partition('t', 0).truncateTo(cut);
    assert.equal(log.partition('t', 0).highWatermark, cut);
    assert.deepEqual(verifyLog(dir).problems, []);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('read-committed consumers see only what is below the committed offset, and wake when it moves', async () => {
  await withLog({}, async (log) => {
    await log.createTopic('out');
    await log.createProducer().send(
      'out',
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
    );
    const partition = log.partition('out', 0);
    partition.setCommittedOffset(4);
    const committed = log.createConsumer({ topics: ['out'], from: 'earliest', maxWaitMs: 20 });
    const dirty = log.createConsumer({
      topics: ['out'],
      from: 'earliest',
      maxWaitMs: 20,
      isolation: 'uncommitted',
    });
    assert.deepEqual(
      (await committed.poll()).flatMap((b) => b.records.map((r) => r.offset)),
      [0, 1, 2, 3],
    );
    assert.deepEqual(await committed.poll(), []);
    assert.deepEqual(
      (await dirty.poll()).flatMap((b) => b.records.map((r) => r.offset)),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    const waiting = log.createConsumer({ topics: ['out'], from: { offset: 4 }, maxWaitMs: 5000 });
    const started = Date.now();
    const polled = waiting.poll();
    setTimeout(() => partition.setCommittedOffset(10), 20);
    assert.deepEqual(
      (await polled).flatMap((b) => b.records.map((r) => r.offset)),
      [4, 5, 6, 7, 8, 9],
    );
    assert.ok(Date.now() - started < 4000);
    for (const c of [committed, dirty, waiting]) c.close();
  });
});

test('an idempotent retry is still recognised after compaction removed its batch and the log restarted', async () => {
  const clock = new ManualClock(50_000_000);
  const dir = tempDir();
  let log = await createLog({ dataDir: dir, clock, maintenanceInterval: false });
  try {
    await log.createTopic('kv', { cleanup: 'compact', tombstoneRetention: '10m' });
    const tombstone = [{ key: Buffer.from('k'), value: null, headers: undefined, timestamp: clock.now() }];
    const producer = { producerId: 9, producerEpoch: 0, baseSequence: 0 };
    const first = await log.append('kv', 0, tombstone, producer);
    await log.partition('kv', 0).roll();
    clock.advance(600_001);
    await log.runMaintenance();
    assert.equal((await readAll(log, 'kv', 0)).length, 0, 'the expired tombstone was compacted away');
    await log.close();
    log = await createLog({ dataDir: dir, clock, maintenanceInterval: false });
    const retry = await log.append('kv', 0, tombstone, producer);
    assert.deepEqual(retry, { ...first, duplicate: true });
    assert.equal(log.partition('kv', 0).highWatermark, 1);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compaction never drops a record that is superseded only by uncommitted data', async () => {
  await withLog({}, async (log) => {
    await log.createTopic('kv', { cleanup: 'compact' });
    const producer = log.createProducer();
    await producer.send('kv', [{ key: 'a', value: 'committed' }]);
    const partition = log.partition('kv', 0);
    await partition.roll();
    partition.setCommittedOffset(1);
    await producer.send('kv', [{ key: 'a', value: 'uncommitted' }]);
    await partition.roll();
    await log.runMaintenance();
    assert.deepEqual(
      (await readAll(log, 'kv', 0)).map((r) => r.valueString()),
      ['committed', 'uncommitted'],
    );
    await partition.truncateTo(1);
    assert.deepEqual(
      (await readAll(log, 'kv', 0)).map((r) => r.valueString()),
      ['committed'],
    );
    partition.setCommittedOffset(1);
    // Truncation forgot the first producer's later batch, so it would be out of sequence: use a new one.
    await log.createProducer().send('kv', [{ key: 'a', value: 'newer' }]);
    partition.setCommittedOffset(2);
    await partition.roll();
    await log.runMaintenance();
    assert.deepEqual(
      (await readAll(log, 'kv', 0)).map((r) => r.valueString()),
      ['newer'],
    );
  });
});

test('fetchBatches + decodeBatches read exactly what fetch reads, from every offset (gaps, gzip, committed)', async () => {
  const clock = new ManualClock(10_000_000);
  await withLog({ clock }, async (log) => {
    await log.createTopic('kv', { cleanup: 'compact', segmentBytes: 900, compression: 'gzip' });
    const producer = log.createProducer();
    for (let i = 0; i < 120; i++) {
      await producer.send('kv', [
        { key: `k${(i * 7) % 13}`, value: `v${i}`, headers: new Map([['h', Buffer.from(`${i}`)]]) },
        { key: `k${i % 5}`, value: i % 9 === 0 ? null : `w${i}` },
      ]);
    }
    await log.partition('kv', 0).roll();
    await log.runMaintenance(); // compaction leaves offset gaps
    const partition = log.partition('kv', 0);
    partition.setCommittedOffset(partition.highWatermark - 17);
    const view = (r: LogRecord) => [
      r.offset,
      r.keyString(),
      r.valueString(),
      r.headers?.get('h')?.toString(),
    ];
    for (const isolation of ['uncommitted', 'committed'] as const) {
      for (let start = partition.logStartOffset; start <= partition.highWatermark; start += 3) {
        const viaFetch = await partition.fetch(start, 700, isolation);
        const raw = await partition.fetchBatches(start, 700, isolation);
        const decoded = decodeBatches(raw.batches, start, raw.highWatermark);
        assert.deepEqual(decoded.map(view), viaFetch.records.map(view), `from ${start} (${isolation})`);
        assert.equal(raw.nextOffset, viaFetch.nextOffset, `next offset from ${start} (${isolation})`);
        assert.equal(raw.highWatermark, viaFetch.highWatermark);
      }
    }
  });
});

test('failed group writes among concurrent idempotent appends: acknowledged = readable, dense offsets, retries exact', async () => {
  const dir = tempDir();
  const random = (() => {
    let x = 12345;
    return () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
  })();
  try {
    let log = await createLog({ dataDir: dir, maintenanceInterval: false });
    await log.createTopic('spec', { durability: 'fsync', segmentBytes: 64 * 1024 });
    const producers = [0, 1, 2, 3].map(() => ({ producerId: log.allocateProducerId(), producerEpoch: 0 }));
    interface Sent {
      producer: number;
      baseSequence: number;
      values: string[];
      offsets?: [number, number];
    }
    const batches: Sent[] = [];
    const nextSequence = [0, 0, 0, 0];
    for (let i = 0; i < 120; i++) {
      const producer = i % 4;
      const count = 1 + Math.floor(random() * 20);
      const values = Array.from(
        { length: count },
        (_, j) => `p${producer}-b${i}-r${j}-${'x'.repeat(Math.floor(random() * 200))}`,
      );
      batches.push({ producer, baseSequence: nextSequence[producer]!, values });
      nextSequence[producer]! += count;
    }
    const send = (b: Sent) =>
      log.append(
        'spec',
        0,
        b.values.map((v) => ({ key: null, value: Buffer.from(v), headers: undefined, timestamp: 1 })),
        { ...producers[b.producer]!, baseSequence: b.baseSequence },
      );
    // Round 1: appends spread over many turns; the second group write fails (not fatal: a failpoint
    // error is not an I/O error). Round 2 resends the refused ones, and may fail again.
    // Appends arrive over many turns, so groups form while earlier ones are being written.
    const spread = async <T>(make: (b: Sent, i: number) => Promise<T> | undefined) => {
      const out: Array<Promise<PromiseSettledResult<T | undefined>>> = [];
      for (let i = 0; i < batches.length; i++) {
        // Settled at once, so a refusal is never an unhandled rejection while later turns run.
        out.push(
          Promise.resolve(make(batches[i]!, i)).then(
            (value) => ({ status: 'fulfilled', value }) as const,
            (reason: unknown) => ({ status: 'rejected', reason }) as const,
          ),
        );
        if (i % 3 === 2) await new Promise((resolve) => setImmediate(resolve));
      }
      return Promise.all(out);
    };
    // Each producer's first batch goes in alone: the log takes any sequence from a producer it does not
    // know (its state may have expired), so only known producers have their gaps refused.
    for (const b of batches.slice(0, 4)) {
      const result = await send(b);
      b.offsets = [result.baseOffset, result.lastOffset];
    }
    armFailpoint('log.append.before-write', 'throw', 2); // the second group (there are always two or more)
    const first = await spread((b) => (b.offsets === undefined ? send(b) : undefined));
    armFailpoint('log.append.before-write', 'throw', 2);
    const second = await spread((b, i) => (first[i]!.status === 'rejected' ? send(b) : undefined));
    disarmFailpoints();
    let rejected = 0;
    for (let i = 0; i < batches.length; i++) {
      const r1 = first[i]!;
      if (r1.status === 'fulfilled' && r1.value !== undefined)
        batches[i]!.offsets = [r1.value.baseOffset, r1.value.lastOffset];
      else if (r1.status === 'rejected') rejected++;
    }
    assert.ok(rejected > 0, 'some appends were refused');
    // Retry whatever is still unacknowledged, in order per producer, until all are in.
    for (let round = 0; batches.some((b) => b.offsets === undefined) && round < 10; round++) {
      for (let i = 0; i < batches.length; i++) {
        const b = batches[i]!;
        if (b.offsets !== undefined) continue;
        const r2 = round === 0 ? second[i] : undefined;
        if (r2?.status === 'fulfilled' && r2.value !== undefined) {
          b.offsets = [r2.value.baseOffset, r2.value.lastOffset];
          continue;
        }
        try {
          const result = await send(b);
          b.offsets = [result.baseOffset, result.lastOffset];
        } catch (error) {
          assert.ok(isEngineError(error, 'OUT_OF_ORDER_SEQUENCE'), String(error));
        }
      }
    }
    const check = async (l: Log) => {
      const all = await readAll(l, 'spec', 0);
      assert.equal(
        all.length,
        batches.reduce((n, b) => n + b.values.length, 0),
        'every batch once',
      );
      assert.deepEqual(
        all.map((r) => r.offset),
        all.map((_, i) => i),
        'dense offsets',
      );
      for (const b of batches) {
        assert.ok(b.offsets !== undefined);
        const [from, to] = b.offsets;
        assert.deepEqual(
          all.slice(from, to + 1).map((r) => r.valueString()),
          b.values,
        );
      }
    };
    await check(log);
    // A retry of an acknowledged batch is a duplicate with its original offsets, also after a restart.
    // (The log remembers the last five batches per producer, as Kafka does.)
    const probe = batches[batches.length - 8]!;
    const again = await send(probe);
    assert.deepEqual([again.baseOffset, again.lastOffset, again.duplicate], [...probe.offsets!, true]);
    await log.close();
    log = await createLog({ dataDir: dir, maintenanceInterval: false });
    await check(log);
    const afterRestart = await send(batches[batches.length - 1]!);
    assert.equal(afterRestart.duplicate, true);
    await log.close();
  } finally {
    disarmFailpoints();
    rmSync(dir, { recursive: true, force: true });
  }
});
