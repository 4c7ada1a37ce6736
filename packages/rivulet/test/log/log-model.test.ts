import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { createLog, type EncodableRecord, type Log } from '../../src/log/index.ts';
import { ManualClock } from '../../src/model/index.ts';

/**
 * (f) Model test: random sequences of appends, idempotent retries, reads from random offsets, restarts,
 * segment rolls, compactions and clock moves, run against the real log and against plain arrays. After
 * every step the log must read back exactly what the arrays say.
 *
 * Topics: 'd' (cleanup delete, 2 partitions) and 'c' (compacted, 1 partition, tombstones kept 10 min).
 * Compaction model: records in sealed segments (offset < the last roll's end) keep only the latest record
 * per key, and a latest tombstone older than 10 minutes goes too; the active segment is untouched.
 */
const TOMBSTONE_MS = 600_000;
const PRODUCER = 4242;

interface ModelRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

interface PartitionModel {
  records: ModelRecord[];
  nextOffset: number;
  nextSequence: number;
  sealedUpTo: number;
  last:
    | { records: EncodableRecord[]; baseSequence: number; baseOffset: number; lastOffset: number }
    | undefined;
}

interface Model {
  partitions: Map<string, PartitionModel>;
  now: number;
}

interface Real {
  log: Log;
  dir: string;
  clock: ManualClock;
}

const TPS: Array<[string, number]> = [
  ['d', 0],
  ['d', 1],
  ['c', 0],
];

const tpKey = (topic: string, partition: number) => `${topic}/${partition}`;

/** What the runs exercised, printed at the end so a vacuous run is visible. */
const stats = { appended: 0, retries: 0, restarts: 0, removedByCompaction: 0, reads: 0 };

async function readAll(log: Log, topic: string, partition: number, from: number): Promise<ModelRecord[]> {
  const out: ModelRecord[] = [];
  const end = log.partition(topic, partition).highWatermark;
  let offset = from;
  while (offset < end) {
    const fetched = await log.fetch(topic, partition, offset, 2048);
    for (const r of fetched.records)
      out.push({ offset: r.offset, key: r.keyString(), value: r.valueString(), timestamp: r.timestamp });
    if (fetched.nextOffset <= offset) break;
    offset = fetched.nextOffset;
  }
  return out;
}

async function checkAll(model: Model, real: Real): Promise<void> {
  for (const [topic, partition] of TPS) {
    const m = model.partitions.get(tpKey(topic, partition))!;
    assert.equal(
      real.log.partition(topic, partition).highWatermark,
      m.nextOffset,
      `${topic}/${partition} end offset`,
    );
    assert.deepEqual(
      await readAll(real.log, topic, partition, 0),
      m.records,
      `${topic}/${partition} contents`,
    );
  }
}

async function openLog(real: Real): Promise<void> {
  real.log = await createLog({
    dataDir: real.dir,
    clock: real.clock,
    maintenanceInterval: false,
    segmentBytes: 1 << 30,
  });
}

class AppendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly tp: number,
    readonly entries: Array<{ key: number; tombstone: boolean; size: number }>,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const [topic, partition] = TPS[this.tp]!;
    const m = model.partitions.get(tpKey(topic, partition))!;
    const compacted = topic === 'c';
    const records: EncodableRecord[] = this.entries.map((e, i) => ({
      key: compacted || e.key % 2 === 0 ? Buffer.from(`key-${e.key}`) : null,
      value: compacted && e.tombstone ? null : Buffer.from(`value-${m.nextOffset + i}-${'z'.repeat(e.size)}`),
      headers: undefined,
      timestamp: model.now,
    }));
    const result = await real.log.append(topic, partition, records, {
      producerId: PRODUCER,
      producerEpoch: 0,
      baseSequence: m.nextSequence,
    });
    assert.deepEqual(result, {
      baseOffset: m.nextOffset,
      lastOffset: m.nextOffset + records.length - 1,
      duplicate: false,
    });
    m.last = {
      records,
      baseSequence: m.nextSequence,
      baseOffset: result.baseOffset,
      lastOffset: result.lastOffset,
    };
    for (const r of records) {
      m.records.push({
        offset: m.nextOffset++,
        key: r.key === null ? null : r.key.toString(),
        value: r.value === null ? null : r.value.toString(),
        timestamp: r.timestamp,
      });
    }
    m.nextSequence += records.length;
    stats.appended += records.length;
  }
  toString(): string {
    return `append(${TPS[this.tp]!.join('/')}, ${this.entries.length})`;
  }
}

class RetryLastCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly tp: number) {}
  check(model: Model): boolean {
    const [topic, partition] = TPS[this.tp]!;
    return model.partitions.get(tpKey(topic, partition))!.last !== undefined;
  }
  async run(model: Model, real: Real): Promise<void> {
    const [topic, partition] = TPS[this.tp]!;
    const last = model.partitions.get(tpKey(topic, partition))!.last!;
    const result = await real.log.append(topic, partition, last.records, {
      producerId: PRODUCER,
      producerEpoch: 0,
      baseSequence: last.baseSequence,
    });
    assert.deepEqual(result, { baseOffset: last.baseOffset, lastOffset: last.lastOffset, duplicate: true });
    stats.retries++;
  }
  toString(): string {
    return `retry(${TPS[this.tp]!.join('/')})`;
  }
}

class ReadCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly tp: number,
    readonly at: number,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const [topic, partition] = TPS[this.tp]!;
    const m = model.partitions.get(tpKey(topic, partition))!;
    const from = m.nextOffset === 0 ? 0 : this.at % (m.nextOffset + 1);
    assert.deepEqual(
      await readAll(real.log, topic, partition, from),
      m.records.filter((r) => r.offset >= from),
    );
    stats.reads++;
  }
  toString(): string {
    return `read(${TPS[this.tp]!.join('/')}, ${this.at})`;
  }
}

class RestartCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    await real.log.close();
    await openLog(real);
    await checkAll(model, real);
    stats.restarts++;
  }
  toString(): string {
    return 'restart';
  }
}

class RollCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly tp: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const [topic, partition] = TPS[this.tp]!;
    await real.log.partition(topic, partition).roll();
    const m = model.partitions.get(tpKey(topic, partition))!;
    m.sealedUpTo = m.nextOffset;
  }
  toString(): string {
    return `roll(${TPS[this.tp]!.join('/')})`;
  }
}

class CompactCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    await real.log.runMaintenance();
    const m = model.partitions.get(tpKey('c', 0))!;
    const latest = new Map<string | null, number>();
    for (const r of m.records) latest.set(r.key, r.offset);
    const before = m.records.length;
    m.records = m.records.filter(
      (r) =>
        r.offset >= m.sealedUpTo ||
        (latest.get(r.key) === r.offset && !(r.value === null && r.timestamp < model.now - TOMBSTONE_MS)),
    );
    stats.removedByCompaction += before - m.records.length;
    await checkAll(model, real);
  }
  toString(): string {
    return 'compact';
  }
}

class AdvanceClockCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    model.now += this.ms;
    real.clock.advance(this.ms);
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

test('the log behaves like an array model under random appends, retries, reads, restarts, rolls and compactions', async () => {
  const tp = fc.integer({ min: 0, max: TPS.length - 1 });
  const append = fc
    .tuple(
      tp,
      fc.array(
        fc.record({
          key: fc.integer({ min: 0, max: 5 }),
          tombstone: fc.boolean(),
          size: fc.integer({ min: 0, max: 120 }),
        }),
        { minLength: 1, maxLength: 8 },
      ),
    )
    .map(([t, entries]) => new AppendCommand(t, entries));
  // Appends listed three times so they are drawn more often than the other steps.
  const commands = [
    append,
    append,
    append,
    tp.map((t) => new RetryLastCommand(t)),
    fc.tuple(tp, fc.nat()).map(([t, at]) => new ReadCommand(t, at)),
    fc.constant(new RestartCommand()),
    tp.map((t) => new RollCommand(t)),
    fc.constant(new CompactCommand()),
    fc.integer({ min: 1, max: 900_000 }).map((ms) => new AdvanceClockCommand(ms)),
  ];
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: 'large' }), async (cmds) => {
      runs++;
      const dir = mkdtempSync(join(tmpdir(), 'rivulet-model-'));
      const start = 5_000_000;
      const real = { dir, clock: new ManualClock(start) } as Real;
      await openLog(real);
      await real.log.createTopic('d', { partitions: 2 });
      await real.log.createTopic('c', { cleanup: 'compact', tombstoneRetention: TOMBSTONE_MS });
      const model: Model = { partitions: new Map(), now: start };
      for (const [topic, partition] of TPS) {
        model.partitions.set(tpKey(topic, partition), {
          records: [],
          nextOffset: 0,
          nextSequence: 0,
          sealedUpTo: 0,
          last: undefined,
        });
      }
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await checkAll(model, real);
      } finally {
        await real.log.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: Number(process.env.RIVULET_MODEL_RUNS ?? 80) },
  );
  console.log(
    `[log-model] ${runs} random command sequences matched the array model: ${JSON.stringify(stats)}`,
  );
  assert.ok(
    stats.removedByCompaction > 0 && stats.restarts > 0 && stats.retries > 0,
    'the runs must exercise compaction, restarts and retries',
  );
});
