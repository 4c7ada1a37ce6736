import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isEngineError } from '../../model/index.ts';
import type { SourceConnector, SourceFeatures, SourceReader } from '../source-connector.ts';

/** A record the suite writes: `value` is JSON `{ "key": key, "seq": n, "pad": "..." }`. */
export interface ProducedRecord {
  readonly key: string;
  readonly value: string;
}

/**
 * A fresh place in the external server (a stream, queue, key, file...) named uniquely for one case, with
 * a source reading it and the server's own client writing it.
 */
export interface SourceFixture {
  readonly source: SourceConnector;
  /** Writes records through the server's own client (not the connector), in order; resolves when stored. */
  produce(records: readonly ProducedRecord[]): Promise<void>;
  /**
   * Kills the fixture's private server (SIGKILL) and starts it again on the same port and data directory;
   * resolves once it accepts connections. Omitted when the fixture uses a shared server.
   */
  restartServer?(): Promise<void>;
  /** Deletes what the case created and closes the fixture's clients. */
  close(): Promise<void>;
}

export interface SourceHarness {
  /** Must equal the connector's own `features` (the suite checks). */
  readonly features: SourceFeatures;
  /** A fixture; `splits`: how many splits the source should have (partitioned sources only). */
  create(options: { splits: number; restartable: boolean }): Promise<SourceFixture>;
  /** The connector reads several splits (a partitioned stream, several files...). */
  readonly partitioned: boolean;
  /** The harness can start a private server that `restartServer` kills and restarts. */
  readonly restartable: boolean;
  /** Cases that take longer on a slow server (default 60 s). */
  readonly timeoutMs?: number;
  /**
   * False when the fixture cannot write arbitrary value bytes (a CDC source's values are change records
   * it builds itself): the engine-level suite then skips its undecodable-payload check. Default true.
   */
  readonly rawValues?: boolean;
}

interface Received {
  key: string;
  seq: number;
}

function records(from: number, count: number, keys = 7, padBytes = 16): ProducedRecord[] {
  const pad = 'x'.repeat(padBytes);
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    const key = `k${seq % keys}`;
    return { key, value: JSON.stringify({ key, seq, pad }) };
  });
}

function decode(value: Uint8Array | null): Received {
  assert.ok(value !== null, 'a produced record arrived without a value');
  const parsed = JSON.parse(Buffer.from(value).toString('utf8')) as Received;
  return { key: parsed.key, seq: parsed.seq };
}

/** Reads every split until `until(received)` holds or `ms` pass; returns what came, and each split's last position. */
async function readUntil(
  readers: readonly SourceReader[],
  until: (received: Received[]) => boolean,
  ms: number,
  maxRecords = 100,
): Promise<{ received: Received[]; positions: string[]; bySplit: Received[][] }> {
  const received: Received[] = [];
  const bySplit: Received[][] = readers.map(() => []);
  const positions: string[] = readers.map(() => '');
  const deadline = Date.now() + ms;
  while (!until(received) && Date.now() < deadline) {
    for (let s = 0; s < readers.length; s++) {
      const batch = await readers[s]!.poll(maxRecords, 50);
      assert.ok(batch.records.length <= maxRecords, `poll(${maxRecords}) returned ${batch.records.length}`);
      assert.equal(typeof batch.position, 'string');
      positions[s] = batch.position;
      for (const record of batch.records) {
        const r = decode(record.value);
        received.push(r);
        bySplit[s]!.push(r);
      }
    }
  }
  return { received, positions, bySplit };
}

function seqs(received: readonly Received[]): number[] {
  return received.map((r) => r.seq).sort((a, b) => a - b);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function assertOrderedPerKey(received: readonly Received[]): void {
  const last = new Map<string, number>();
  for (const r of received) {
    const previous = last.get(r.key);
    assert.ok(previous === undefined || previous < r.seq, `key ${r.key}: ${r.seq} arrived after ${previous}`);
    last.set(r.key, r.seq);
  }
}

async function openAll(source: SourceConnector, positions?: readonly string[]): Promise<SourceReader[]> {
  const splits = await source.splits();
  assert.ok(splits.length >= 1, 'a source has at least one split');
  return Promise.all(splits.map((split, i) => source.open(split, positions?.[i] || undefined)));
}

async function closeAll(readers: readonly SourceReader[]): Promise<void> {
  await Promise.all(readers.map((r) => r.close()));
}

function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

/**
 * The conformance suite every source connector passes against a real server (DESIGN.md §7). Registers
 * node:test cases under `describe(name)`; the cases a source's features do not promise are skipped
 * with the reason.
 */
export function sourceConformance(name: string, harness: SourceHarness): void {
  const features = harness.features;
  const timeout = harness.timeoutMs ?? 60_000;
  const withFixture = async (
    options: { splits?: number; restartable?: boolean },
    body: (fixture: SourceFixture) => Promise<void>,
  ): Promise<void> => {
    const fixture = await harness.create({
      splits: options.splits ?? 1,
      restartable: options.restartable ?? false,
    });
    try {
      assert.deepEqual(fixture.source.features, features, 'the harness states the connector features');
      assert.equal(fixture.source.kind, 'source-connector');
      await body(fixture);
    } finally {
      await fixture.close();
    }
  };

  describe(`${name}: source conformance`, () => {
    test('round trip: every record arrives, in order per key when ordered', { timeout }, () =>
      withFixture({}, async (fixture) => {
        const readers = await openAll(fixture.source);
        try {
          await fixture.produce(records(0, 1000));
          const { received } = await readUntil(readers, (r) => r.length >= 1000, timeout / 2);
          assert.deepEqual(seqs(received), range(0, 1000));
          if (features.ordered) assertOrderedPerKey(received);
          const extra = await readUntil(readers, () => false, 300);
          assert.deepEqual(extra.received, [], 'nothing arrives twice in one reader');
        } finally {
          await closeAll(readers);
        }
      }),
    );

    test('poll: at most maxRecords, an empty batch after maxWait, prompt on abort', { timeout }, () =>
      withFixture({}, async (fixture) => {
        const readers = await openAll(fixture.source);
        try {
          const started = Date.now();
          const empty = await readers[0]!.poll(10, 200);
          assert.equal(empty.records.length, 0);
          assert.ok(Date.now() - started < 5_000, 'an empty poll returns after about maxWait');
          const abort = new AbortController();
          const aborted = readers[0]!.poll(10, 60_000, abort.signal);
          setTimeout(() => abort.abort(), 50);
          const abortedAt = Date.now();
          assert.equal((await aborted).records.length, 0);
          assert.ok(Date.now() - abortedAt < 5_000, 'an aborted poll returns promptly');
          await fixture.produce(records(0, 50));
          const { received } = await readUntil(readers, (r) => r.length >= 50, timeout / 2, 5);
          assert.deepEqual(seqs(received), range(0, 50));
        } finally {
          await closeAll(readers);
        }
      }),
    );

    test(
      'resume: a reader reopened at a committed position gets what followed it (no loss; duplicates only by the replay guarantee)',
      {
        timeout,
        skip: features.replay === 'at-most-once' ? 'at-most-once source: nothing is replayed' : false,
      },
      () =>
        withFixture({}, async (fixture) => {
          await fixture.produce(records(0, 300));
          const readers = await openAll(fixture.source);
          const first = await readUntil(readers, (r) => r.length >= 100, timeout / 3, 20);
          const committedPositions = [...first.positions];
          await Promise.all(readers.map((r, i) => r.commit(committedPositions[i]!)));
          const committedSeqs = new Set(first.received.map((r) => r.seq));
          // Read on without committing, then "crash": close without a commit.
          const uncommitted = await readUntil(readers, (r) => r.length >= 50, timeout / 3, 20);
          await closeAll(readers);
          const again = await openAll(fixture.source, committedPositions);
          try {
            const rest = await readUntil(
              again,
              (r) => new Set([...committedSeqs, ...r.map((x) => x.seq)]).size >= 300,
              timeout / 3,
            );
            const after = seqs(rest.received);
            assert.deepEqual(
              [...new Set([...committedSeqs, ...after])].sort((a, b) => a - b),
              range(0, 300),
              'no record is lost',
            );
            for (const seq of after)
              assert.ok(!committedSeqs.has(seq), `record ${seq} came again after its commit`);
            if (features.replay === 'exactly-once') {
              assert.equal(new Set(after).size, after.length, 'no duplicates after resuming');
            } else {
              const uncommittedSeqs = new Set(uncommitted.received.map((r) => r.seq));
              const seen = new Set<number>();
              for (const seq of after) {
                if (seen.has(seq)) assert.ok(uncommittedSeqs.has(seq), `record ${seq} came twice`);
                seen.add(seq);
              }
            }
            if (features.ordered) assertOrderedPerKey(rest.received);
          } finally {
            await closeAll(again);
          }
        }),
    );

    test(
      'commit: committed records do not come again; later ones still do',
      {
        timeout,
        skip: features.replay === 'at-most-once' ? 'at-most-once source: nothing is replayed' : false,
      },
      () =>
        withFixture({}, async (fixture) => {
          await fixture.produce(records(0, 100));
          const readers = await openAll(fixture.source);
          const all = await readUntil(readers, (r) => r.length >= 100, timeout / 3);
          await Promise.all(readers.map((r, i) => r.commit(all.positions[i]!)));
          await closeAll(readers);
          const again = await openAll(fixture.source, all.positions);
          try {
            const none = await readUntil(again, () => false, 1_000);
            assert.deepEqual(none.received, [], 'committed records came again');
            await fixture.produce(records(100, 10));
            const later = await readUntil(again, (r) => r.length >= 10, timeout / 3);
            assert.deepEqual(seqs(later.received), range(100, 110));
          } finally {
            await closeAll(again);
          }
        }),
    );

    test(
      'splits: each split reads its own records, together all of them',
      { timeout, skip: harness.partitioned ? false : 'single-split source' },
      () =>
        withFixture({ splits: 3 }, async (fixture) => {
          const splits = await fixture.source.splits();
          assert.equal(splits.length, 3);
          assert.equal(new Set(splits).size, 3, 'split names are distinct');
          const readers = await openAll(fixture.source);
          try {
            await fixture.produce(records(0, 600, 30));
            const { received, bySplit } = await readUntil(readers, (r) => r.length >= 600, timeout / 2);
            assert.deepEqual(seqs(received), range(0, 600));
            const splitOfKey = new Map<string, number>();
            bySplit.forEach((rs, s) => {
              for (const r of rs) {
                assert.ok(
                  (splitOfKey.get(r.key) ?? s) === s,
                  `key ${r.key} was read from two splits (a key belongs to one split)`,
                );
                splitOfKey.set(r.key, s);
              }
            });
            assert.ok(bySplit.filter((rs) => rs.length > 0).length >= 2, 'records spread over splits');
          } finally {
            await closeAll(readers);
          }
        }),
    );

    test('backpressure: an idle reader holds a bounded read-ahead in memory', { timeout }, () =>
      withFixture({}, async (fixture) => {
        const readers = await openAll(fixture.source);
        try {
          await readers[0]!.poll(1, 100);
          const before = heapAfterGc();
          // 24 MiB the reader must leave in the server while nobody polls.
          for (let i = 0; i < 6; i++) await fixture.produce(records(i * 4096, 4096, 7, 1024));
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          const grown = heapAfterGc() - before;
          assert.ok(grown < 16 * 1024 * 1024, `an idle reader grew the heap by ${grown} bytes`);
          const first = await readers[0]!.poll(10, 5_000);
          assert.ok(first.records.length > 0 || features.replay === 'at-most-once');
        } finally {
          await closeAll(readers);
        }
      }),
    );

    test(
      'connection loss: the server is killed and restarted mid-stream; reading goes on',
      { timeout: timeout * 2, skip: harness.restartable ? false : 'the harness has no private server' },
      () =>
        withFixture({ restartable: true }, async (fixture) => {
          const readers = await openAll(fixture.source);
          try {
            await fixture.produce(records(0, 200));
            const first = await readUntil(readers, (r) => r.length >= 200, timeout / 2);
            await Promise.all(readers.map((r, i) => r.commit(first.positions[i]!)));
            await fixture.restartServer!();
            await fixture.produce(records(200, 200));
            const second = await readUntil(readers, (r) => seqs(r).includes(399), timeout);
            const after = new Set(second.received.map((r) => r.seq));
            for (const seq of range(200, 400))
              assert.ok(after.has(seq), `record ${seq}, written after the restart, never arrived`);
            if (features.replay === 'exactly-once')
              assert.equal(after.size, second.received.length, 'duplicates after the restart');
          } catch (error) {
            if (isEngineError(error)) assert.fail(`the reader failed (${error.code}): ${error.message}`);
            throw error;
          } finally {
            await closeAll(readers);
          }
        }),
    );
  });
}
