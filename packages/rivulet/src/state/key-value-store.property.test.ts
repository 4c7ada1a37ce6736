/**
 * Model-based property tests of the whole store stack against the ReferenceMap (a plain Map sorted on
 * read), for both backends, with and without a changelog. Random sequences of reads, writes, flushes and
 * crashes: after a crash the store must equal the reference state as of the checkpoint it restores to.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Log } from '../log/index.ts';
import { bytesSerde, stringSerde } from '../model/index.ts';
import type { Changelog } from './changelog.ts';
import { createKeyValueStore } from './create-key-value-store.ts';
import type { KeyValue, KeyValueStore } from './key-value-store.ts';
import { MemoryBackend } from './memory-backend.ts';
import { decodeStorePosition, encodeStorePosition } from './store-position.ts';
import { pooledKeyArb as keyArb } from './test/key-arbitrary.ts';
import { ReferenceMap } from './test/reference-map.ts';
import {
  type BackendKind,
  backendKinds,
  bytes,
  newChangelog,
  removeDir,
  withLog,
} from './test/state-fixtures.ts';

/** How a crash treats the local backend before the store is reopened. */
type Damage = 'none' | 'lose-directory' | 'meta-ahead' | 'corrupt-meta';

type Op =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  | { kind: 'get'; key: string }
  | { kind: 'range'; from?: string; to?: string; limit?: number; reverse: boolean }
  | { kind: 'prefix'; prefix: string; limit?: number }
  | { kind: 'flush' }
  /** Drop the store without flushing (the cache is lost), reopen, restore to a checkpoint. */
  | { kind: 'crash'; damage: Damage; checkpoint: number }
  /** Flush, close, reopen, restore to the store's own position. */
  | { kind: 'restart' }
  /** Restore the open store to a checkpoint (unflushed writes are dropped); with a changelog only. */
  | { kind: 'rollback'; checkpoint: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      key: keyArb,
      value: fc.string({ maxLength: 3 }),
    }),
  },
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('get' as const), key: keyArb }) },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('range' as const),
      from: fc.option(keyArb, { nil: undefined, freq: 2 }),
      to: fc.option(keyArb, { nil: undefined, freq: 2 }),
      limit: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined, freq: 4 }),
      reverse: fc.boolean(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record(
      { kind: fc.constant('prefix' as const), prefix: keyArb, limit: fc.nat(4) },
      { requiredKeys: ['kind', 'prefix'] },
    ),
  },
  { weight: 14, arbitrary: fc.constant({ kind: 'flush' as const }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      damage: fc.constantFrom<Damage>('none', 'none', 'lose-directory', 'meta-ahead', 'corrupt-meta'),
      // -1: the latest checkpoint (the usual case); otherwise an index into the valid checkpoints.
      checkpoint: fc.oneof(fc.constant(-1), fc.nat(20)),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'restart' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('rollback' as const),
      checkpoint: fc.oneof(fc.constant(-1), fc.nat(20)),
    }),
  },
);

const text = (data: Uint8Array) => Buffer.from(data).toString('latin1');
const pairs = (entries: KeyValue<Uint8Array, string>[]) => entries.map((e) => [text(e.key), e.value]);
const optional = (key: string | undefined) => (key === undefined ? undefined : bytes(key));

interface Checkpoint {
  offset: number;
  state: ReferenceMap;
}

/** One random run: the ops against the store and the reference, checked after every op. */
async function run(
  kind: BackendKind,
  log: Log,
  baseDir: string,
  runId: number,
  withChangelog: boolean,
  ops: Op[],
  objectCacheEntries?: number,
) {
  const dir = join(baseDir, `run-${runId}`);
  mkdirSync(dir);
  const changelog: Changelog | undefined = withChangelog ? await newChangelog(log) : undefined;
  const open = (backend = kind.open(dir)) =>
    createKeyValueStore({
      name: 'prop',
      keySerde: bytesSerde,
      valueSerde: stringSerde,
      backend,
      changelog,
      ...(objectCacheEntries === undefined ? {} : { objectCacheEntries }),
    });
  let store: KeyValueStore<Uint8Array, string> = await open();
  let live = new ReferenceMap();
  let flushed = new ReferenceMap(); // without changelog: the state as of the last flush
  let checkpoints: Checkpoint[] = [{ offset: 0, state: new ReferenceMap() }];

  const restoreTo = async (index: number) => {
    const target = index < 0 ? checkpoints.at(-1)! : checkpoints[index % checkpoints.length]!;
    await store.restore({ upToOffset: target.offset });
    live = target.state.copy();
    checkpoints = checkpoints.filter((c) => c.offset <= target.offset);
    assert.equal(store.position, target.offset);
  };

  const reopen = async (damage: Damage) => {
    await store.close();
    if (damage === 'lose-directory') {
      removeDir(dir);
      mkdirSync(dir);
    }
    const backend = kind.open(dir);
    if (damage === 'meta-ahead') {
      const hw = changelog === undefined ? 0 : log.partition(changelog.topic, 0).highWatermark;
      const stored = decodeStorePosition(backend.meta());
      const topic = changelog?.topic ?? 'none';
      backend.apply(
        [],
        encodeStorePosition({ topic, partition: 0, offset: Math.max(hw, stored?.offset ?? 0) + 3 }),
      );
    }
    if (damage === 'corrupt-meta') backend.apply([], bytes('{"v":1,"topic":'));
    store = await open(backend);
  };

  try {
    for (const op of ops) {
      switch (op.kind) {
        case 'put':
          store.put(bytes(op.key), op.value);
          live.put(op.key, op.value);
          break;
        case 'delete':
          store.delete(bytes(op.key));
          live.delete(op.key);
          break;
        case 'get':
          assert.equal(store.get(bytes(op.key)), live.get(op.key));
          break;
        case 'range':
          assert.deepEqual(
            pairs(store.range(optional(op.from), optional(op.to), { limit: op.limit, reverse: op.reverse })),
            live.range(op.from, op.to, op.limit, op.reverse),
          );
          break;
        case 'prefix':
          assert.deepEqual(
            pairs(store.prefixScan(bytes(op.prefix), { limit: op.limit })),
            live.prefix(op.prefix, op.limit),
          );
          break;
        case 'flush': {
          const { changelogEndOffset } = await store.flush();
          flushed = live.copy();
          if (changelog !== undefined) {
            const last = checkpoints.at(-1)!;
            if (changelogEndOffset === last.offset)
              assert.deepEqual(live.range(undefined, undefined), last.state.range(undefined, undefined));
            else checkpoints.push({ offset: changelogEndOffset!, state: live.copy() });
          }
          break;
        }
        case 'crash':
          await reopen(changelog === undefined && op.damage !== 'lose-directory' ? 'none' : op.damage);
          if (changelog !== undefined) await restoreTo(op.checkpoint);
          else {
            live = kind.persistent && op.damage !== 'lose-directory' ? flushed.copy() : new ReferenceMap();
            flushed = live.copy();
          }
          break;
        case 'rollback':
          if (changelog !== undefined) await restoreTo(op.checkpoint);
          break;
        case 'restart': {
          const { changelogEndOffset } = await store.flush();
          flushed = live.copy();
          await reopen('none');
          if (changelog !== undefined) {
            if (changelogEndOffset !== checkpoints.at(-1)!.offset)
              checkpoints.push({ offset: changelogEndOffset!, state: live.copy() });
            const result = await store.restore({ upToOffset: changelogEndOffset! });
            // A store that never flushed or restored has no position stored: that restore is a (trivial) full one.
            if (changelogEndOffset! > 0) assert.equal(result.mode === 'snapshot', kind.persistent);
          } else if (!kind.persistent) {
            live = new ReferenceMap();
            flushed = new ReferenceMap();
          }
          break;
        }
      }
      // A full scan writes an object cache down: for it, only the random reads and the end check it.
      if (objectCacheEntries === undefined)
        assert.deepEqual(pairs(store.range()), live.range(undefined, undefined), `after ${op.kind}`);
    }
    assert.deepEqual(pairs(store.range()), live.range(undefined, undefined), 'at the end');
    if (changelog !== undefined) {
      // The changelog alone, replayed into a fresh backend, gives every checkpoint's state.
      const last = checkpoints.at(-1)!;
      const copy = await createKeyValueStore({
        name: 'copy',
        keySerde: bytesSerde,
        valueSerde: stringSerde,
        backend: new MemoryBackend(),
        changelog,
      });
      try {
        await copy.restore({ upToOffset: last.offset });
        assert.deepEqual(pairs(copy.range()), last.state.range(undefined, undefined));
      } finally {
        await copy.close();
      }
    }
  } finally {
    await store.close();
    removeDir(dir);
  }
}

for (const kind of backendKinds) {
  test(`${kind.name} store with changelog and object cache: random ops, flushes and crashes match the reference (property)`, () =>
    withLog(async (log, baseDir) => {
      let runId = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(opArb, { maxLength: 60, size: 'max' }),
          fc.constantFrom(1, 3, 1000),
          (ops, entries) => run(kind, log, baseDir, runId++, true, ops, entries),
        ),
        { numRuns: kind.persistent ? 200 : 500 },
      );
    }));
  for (const withChangelog of [true, false]) {
    test(`${kind.name} store ${withChangelog ? 'with' : 'without'} changelog: random ops, flushes and crashes match the reference (property)`, () =>
      withLog(async (log, baseDir) => {
        let runId = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(opArb, { maxLength: 60, size: 'max' }), (ops) =>
            run(kind, log, baseDir, runId++, withChangelog, ops),
          ),
          // An LMDB run reopens an environment (~20 ms) per crash and fsyncs per flush: fewer of those.
          { numRuns: kind.persistent ? 200 : 500 },
        );
      }));
  }
}
