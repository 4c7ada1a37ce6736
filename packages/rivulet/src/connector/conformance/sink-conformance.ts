import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isEngineError } from '../../model/index.ts';
import type { SinkConnector, SinkGuarantee, SinkRecord, SinkWriter } from '../sink-connector.ts';

/** A record as read back from the server: its key text and its value parsed from JSON (null: deleted). */
export interface StoredRecord {
  readonly key: string | null;
  readonly value: Record<string, unknown> | null;
}

/** A fresh place in the external server for one case, with a sink writing it and a reader of its own. */
export interface SinkFixture {
  readonly sink: SinkConnector;
  /**
   * What the server holds for the sink, read through its own client: every record in server order
   * (append sinks), or the current row per key (upsert sinks; deleted keys absent).
   */
  readAll(): Promise<StoredRecord[]>;
  /** Kills and restarts the fixture's private server (see SourceFixture.restartServer). */
  restartServer?(): Promise<void>;
  close(): Promise<void>;
}

export interface SinkHarness {
  /** Must equal the connector's own `guarantee`. */
  readonly guarantee: SinkGuarantee;
  /** The sink keeps one row per key (a null value deletes it) instead of appending. */
  readonly upsert: boolean;
  /** Records of one partition are stored in the order written. */
  readonly ordered: boolean;
  /** The sink needs JSON object values and rejects others with INVALID_RECORD (details.index). */
  readonly structured: boolean;
  /** Values over this many bytes are refused by the server (INVALID_RECORD, details.index). */
  readonly maxValueBytes?: number;
  readonly restartable: boolean;
  create(options: { restartable: boolean }): Promise<SinkFixture>;
  readonly timeoutMs?: number;
}

const PARTITIONS = 2;

/** Records numbered `from`..`from+count`, alternating over two partitions, offsets dense per partition. */
function sinkRecords(from: number, count: number, keys = 11): SinkRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    const partition = seq % PARTITIONS;
    const offset = Math.floor(seq / PARTITIONS);
    const key = `k${seq % keys}`;
    return {
      key: Buffer.from(key),
      value: Buffer.from(JSON.stringify({ key, seq })),
      timestamp: 1_700_000_000_000 + seq,
      headers: new Map([['seq', Buffer.from(String(seq))]]),
      partition,
      offset,
      id: `suite/sink/${partition}/${offset}`,
    };
  });
}

/** The positions after `records` (next offset per partition). */
function positionsAfter(records: readonly SinkRecord[]): Map<number, number> {
  const positions = new Map<number, number>();
  for (const r of records)
    positions.set(r.partition, Math.max(positions.get(r.partition) ?? 0, r.offset + 1));
  return positions;
}

function seqOf(stored: StoredRecord): number {
  assert.ok(stored.value !== null, 'a stored record without a value');
  return stored.value.seq as number;
}

/** What the server should hold after writing `written` (in order) exactly once. */
function expected(harness: SinkHarness, written: readonly SinkRecord[]): number[] {
  if (!harness.upsert) return written.map((r) => Number(JSON.parse(Buffer.from(r.value!).toString()).seq));
  const last = new Map<string, number | null>();
  for (const r of written)
    last.set(
      Buffer.from(r.key!).toString(),
      r.value === null ? null : Number(JSON.parse(Buffer.from(r.value).toString()).seq),
    );
  return [...last.values()].filter((v): v is number => v !== null);
}

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Opens a writer, retrying while the server is unreachable (a retryable EngineError) until `deadline`. */
async function reopen(sink: SinkConnector, deadline: number): Promise<SinkWriter> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      return await sink.open({ pipeline: 'suite', name: 'sink', partitions: PARTITIONS });
    } catch (error) {
      assert.ok(isEngineError(error) && error.retryable, `open failed with ${String(error)}`);
      assert.ok(Date.now() < deadline, 'the sink could not be opened again');
    }
  }
}

/**
 * The conformance suite every sink connector passes against a real server: round trip, replay after a
 * crash per the declared guarantee, tombstones for upserting sinks, bad records refused one by one, and
 * the server killed and restarted mid-stream.
 */
export function sinkConformance(name: string, harness: SinkHarness): void {
  const timeout = harness.timeoutMs ?? 60_000;
  const exactly = harness.guarantee !== 'at-least-once';
  const context = { pipeline: 'suite', name: 'sink', partitions: PARTITIONS };
  const withFixture = async (
    restartable: boolean,
    body: (fixture: SinkFixture) => Promise<void>,
  ): Promise<void> => {
    const fixture = await harness.create({ restartable });
    try {
      assert.equal(fixture.sink.kind, 'sink-connector');
      assert.equal(fixture.sink.guarantee, harness.guarantee, 'the harness states the sink guarantee');
      await body(fixture);
    } finally {
      await fixture.close();
    }
  };
  const assertHolds = async (fixture: SinkFixture, written: readonly SinkRecord[], what: string) => {
    const stored = await fixture.readAll();
    const got = stored.map(seqOf);
    const want = expected(harness, written);
    if (exactly || harness.upsert)
      assert.deepEqual(sorted(got), sorted(want), `${what}: exactly these records`);
    else
      assert.deepEqual(
        [...new Set(got)].sort((a, b) => a - b),
        sorted([...new Set(want)]),
        `${what}: each record at least once`,
      );
    if (harness.ordered && !harness.upsert) {
      const last = new Map<number, number>();
      for (const seq of got) {
        const p = seq % PARTITIONS;
        assert.ok(
          (last.get(p) ?? -1) < seq || !exactly,
          `partition ${p}: ${seq} stored after ${last.get(p)}`,
        );
        last.set(p, Math.max(last.get(p) ?? -1, seq));
      }
    }
  };

  describe(`${name}: sink conformance`, () => {
    test('round trip: committed records are stored', { timeout }, () =>
      withFixture(false, async (fixture) => {
        const writer = await fixture.sink.open(context);
        try {
          const written = sinkRecords(0, 500);
          for (let i = 0; i < written.length; i += 100) await writer.write(written.slice(i, i + 100));
          await writer.commit(positionsAfter(written));
          await assertHolds(fixture, written, 'after a commit');
          const committed = await writer.committed();
          if (harness.guarantee === 'transactional')
            assert.deepEqual(committed, positionsAfter(written), 'a transactional sink stores its positions');
        } finally {
          await writer.close();
        }
      }),
    );

    test(
      `replay after a crash: ${exactly ? 'no duplicates' : 'no loss'} (${harness.guarantee})`,
      { timeout },
      () =>
        withFixture(false, async (fixture) => {
          const a = sinkRecords(0, 200);
          const b = sinkRecords(200, 100);
          const c = sinkRecords(300, 100);
          const first = await fixture.sink.open(context);
          await first.write(a);
          await first.commit(positionsAfter(a));
          await first.write(b);
          await first.close(); // the crash: b was written, never committed
          if (harness.guarantee === 'transactional')
            await assertHolds(fixture, a, 'uncommitted records are not visible');
          const second = await fixture.sink.open(context);
          try {
            const committed = await second.committed();
            if (harness.guarantee === 'transactional')
              assert.deepEqual(committed, positionsAfter(a), 'positions of the last commit');
            // The engine replays from the last commit: b again, then c.
            await second.write(b);
            await second.write(c);
            await second.commit(positionsAfter([...a, ...b, ...c]));
            await assertHolds(fixture, [...a, ...b, ...c], 'after the replay');
          } finally {
            await second.close();
          }
        }),
    );

    test(
      'tombstones: a null value deletes the key',
      { timeout, skip: harness.upsert ? false : 'append-only sink' },
      () =>
        withFixture(false, async (fixture) => {
          const writer = await fixture.sink.open(context);
          try {
            const written = sinkRecords(0, 50);
            const deletes: SinkRecord[] = ['k1', 'k2'].map((key, i) => ({
              key: Buffer.from(key),
              value: null,
              timestamp: 1_700_000_001_000,
              headers: undefined,
              partition: 0,
              offset: 100 + i,
              id: `suite/sink/0/${100 + i}`,
            }));
            await writer.write(written);
            await writer.write(deletes);
            await writer.commit(positionsAfter([...written, ...deletes]));
            const stored = await fixture.readAll();
            const keys = new Set(stored.map((s) => s.key));
            assert.ok(!keys.has('k1') && !keys.has('k2'), 'deleted keys are gone');
            await assertHolds(fixture, [...written, ...deletes], 'after deletes');
          } finally {
            await writer.close();
          }
        }),
    );

    test(
      'bad records: refused one by one with INVALID_RECORD and its index; the rest is written',
      {
        timeout,
        skip: harness.structured || harness.maxValueBytes !== undefined ? false : 'the sink takes any bytes',
      },
      () =>
        withFixture(false, async (fixture) => {
          const writer = await fixture.sink.open(context);
          try {
            const good = sinkRecords(0, 10);
            const bad: SinkRecord = harness.structured
              ? { ...good[4]!, value: Buffer.from('not json {') }
              : { ...good[4]!, value: Buffer.alloc(harness.maxValueBytes! + 1, 0x61) };
            const batch = [...good.slice(0, 4), bad, ...good.slice(5)];
            await assert.rejects(writer.write(batch), (error: unknown) => {
              assert.ok(
                isEngineError(error, 'INVALID_RECORD'),
                `expected INVALID_RECORD, got ${String(error)}`,
              );
              assert.equal(error.details.index, 4);
              return true;
            });
            // The engine dead-letters record 4 and writes the others again.
            const rest = [...good.slice(0, 4), ...good.slice(5)];
            await writer.write(rest);
            await writer.commit(positionsAfter(good));
            await assertHolds(fixture, rest, 'without the bad record');
          } finally {
            await writer.close();
          }
        }),
    );

    test(
      'connection loss: the server is killed and restarted; a reopened writer replays from the last commit',
      { timeout: timeout * 2, skip: harness.restartable ? false : 'the harness has no private server' },
      () =>
        withFixture(true, async (fixture) => {
          const before = sinkRecords(0, 100);
          const after = sinkRecords(100, 100);
          let writer: SinkWriter = await fixture.sink.open(context);
          await writer.write(before);
          await writer.commit(positionsAfter(before));
          await fixture.restartServer!();
          // Like the engine: on a retryable failure, reopen and replay everything after the last commit.
          const deadline = Date.now() + timeout;
          for (;;) {
            try {
              await writer.write(after);
              await writer.commit(positionsAfter([...before, ...after]));
              break;
            } catch (error) {
              assert.ok(
                isEngineError(error) && error.retryable,
                `not a retryable EngineError: ${String(error)}`,
              );
              assert.ok(Date.now() < deadline, 'the sink never recovered');
              await writer.close().catch(() => undefined);
              writer = await reopen(fixture.sink, deadline);
            }
          }
          await writer.close();
          await assertHolds(fixture, [...before, ...after], 'after the restart');
        }),
    );
  });
}
