/**
 * The shared restore case suite, once per backend kind: what restore does (snapshot, incremental, full)
 * depends on what the backend kept, and the state it ends with never does.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Log } from '../../log/index.ts';
import { jsonSerde, stringSerde } from '../../model/index.ts';
import type { Changelog } from '../changelog.ts';
import { createKeyValueStore } from '../create-key-value-store.ts';
import type { KeyValueBackend } from '../key-value-backend.ts';
import type { KeyValue, KeyValueStore } from '../key-value-store.ts';
import { MemoryBackend } from '../memory-backend.ts';
import type { RestoreProgress } from '../restore-result.ts';
import { encodeStorePosition } from '../store-position.ts';
import {
  type BackendKind,
  bytes,
  changelogRecords,
  hasCode,
  newChangelog,
  withLog,
} from './state-fixtures.ts';

const pairs = <K, V>(entries: KeyValue<K, V>[]) => entries.map((e) => [e.key, e.value]);

export function restoreCases(kind: BackendKind): void {
  const name = (title: string) => `${kind.name} restore: ${title}`;

  interface Context {
    log: Log;
    dir: string;
    changelog: Changelog;
    /** Opens the store on the kind's backend in the test dir (a restart: LMDB finds its files again). */
    open(backend?: KeyValueBackend): Promise<KeyValueStore<string, number>>;
  }

  function withContext(body: (context: Context) => Promise<void>, segmentBytes?: number): Promise<void> {
    return withLog(async (log, dir) => {
      const changelog = await newChangelog(log, { segmentBytes });
      const opened: KeyValueStore<string, number>[] = [];
      const open = async (backend?: KeyValueBackend) => {
        const store = await createKeyValueStore({
          name: 'totals',
          keySerde: stringSerde,
          valueSerde: jsonSerde<number>(),
          backend: backend ?? kind.open(dir),
          changelog,
        });
        opened.push(store);
        return store;
      };
      try {
        await body({ log, dir, changelog, open });
      } finally {
        for (const store of opened) await store.close();
      }
    });
  }

  /** Writes `count` flushes of a few changes each; returns the state and end offset after each flush. */
  async function history(store: KeyValueStore<string, number>, flushes: number) {
    const states: Array<{ offset: number; state: Array<[string, number]> }> = [];
    for (let f = 0; f < flushes; f++) {
      store.put(`k${f % 3}`, f);
      store.put(`j${f}`, f);
      if (f % 2 === 1) store.delete(`j${f - 1}`);
      const { changelogEndOffset } = await store.flush();
      states.push({ offset: changelogEndOffset!, state: pairs(store.range()) as Array<[string, number]> });
    }
    return states;
  }

  test(name('after a clean restart the store is back at its position'), () =>
    withContext(async ({ open }) => {
      let store = await open();
      const states = await history(store, 4);
      store.put('unflushed', 1);
      await store.close();
      store = await open();
      const last = states.at(-1)!;
      const result = await store.restore({ upToOffset: last.offset });
      assert.equal(result.mode, kind.persistent ? 'snapshot' : 'full');
      assert.equal(result.recordsReplayed, kind.persistent ? 0 : last.offset);
      assert.deepEqual(pairs(store.range()), last.state);
      assert.equal(store.position, last.offset);
      assert.equal(store.get('unflushed'), undefined);
    }),
  );

  test(name('a backend behind the checkpoint replays only the difference'), () =>
    withContext(async ({ open }) => {
      let store = await open();
      const states = await history(store, 2);
      await store.close();
      // A later incarnation (on another machine: a memory backend here) wrote more to the changelog.
      const other = await open(new MemoryBackend());
      await other.restore({ upToOffset: states[1]!.offset });
      for (let f = 0; f < 3; f++) {
        other.put(`later${f}`, f);
        other.delete('k0');
      }
      const end = (await other.flush()).changelogEndOffset!;
      const expected = pairs(other.range());
      await other.close();
      store = await open();
      const result = await store.restore({ upToOffset: end });
      assert.equal(result.mode, kind.persistent ? 'incremental' : 'full');
      if (kind.persistent) assert.equal(result.recordsReplayed, end - states[1]!.offset);
      assert.deepEqual(pairs(store.range()), expected);
    }),
  );

  test(name('a backend ahead of the checkpoint is rebuilt; the next flush re-asserts the tail keys'), () =>
    withContext(async ({ open, changelog }) => {
      let store = await open();
      const states = await history(store, 5);
      await store.close();
      store = await open();
      const checkpoint = states[2]!;
      const result = await store.restore({ upToOffset: checkpoint.offset });
      assert.equal(result.mode, 'full');
      assert.equal(result.tailKeys, 5, 'k0 k1 j3 j4 and the deleted j2');
      assert.deepEqual(pairs(store.range()), checkpoint.state);
      assert.equal(store.position, checkpoint.offset);
      // The store continues from the checkpoint; its next flush overwrites what the tail changed.
      store.put('fresh', 1);
      const flushed = await store.flush();
      assert.equal(flushed.records, 6);
      const end = flushed.changelogEndOffset!;
      const live = pairs(store.range());
      assert.deepEqual(live, [['fresh', 1], ...checkpoint.state]);
      await store.close();
      store = await open();
      assert.equal((await store.restore({ upToOffset: end })).mode, kind.persistent ? 'snapshot' : 'full');
      assert.deepEqual(pairs(store.range()), live);
      // A replay of the whole changelog, ghost tail included, gives the live state too.
      const copy = await open(new MemoryBackend());
      assert.equal((await copy.restore({ upToOffset: end })).recordsReplayed, end);
      assert.deepEqual(pairs(copy.range()), live);
      assert.equal((await changelogRecords(changelog)).length, end);
    }),
  );

  test(name('an unreadable or foreign position means a full restore'), () =>
    withContext(async ({ open, dir }) => {
      const store = await open();
      const states = await history(store, 3);
      await store.close();
      for (const meta of [
        bytes('not json'),
        encodeStorePosition({ topic: 'other', partition: 0, offset: 2 }),
      ]) {
        const backend = kind.open(dir);
        backend.apply([{ key: bytes('junk'), value: bytes('1') }], meta);
        const reopened = await open(backend);
        const result = await reopened.restore({ upToOffset: states[2]!.offset });
        assert.equal(result.mode, 'full');
        assert.deepEqual(pairs(reopened.range()), states[2]!.state);
        await reopened.close();
      }
    }),
  );

  test(name('replay reports progress batch by batch and an interrupted restore resumes'), () =>
    withContext(async ({ open, dir }) => {
      let store = await open();
      const states = await history(store, 30);
      await store.close();
      const upToOffset = states.at(-1)!.offset;
      if (kind.persistent) {
        const backend = kind.open(dir); // lose the snapshot, so the restore has to replay
        backend.clear();
        await backend.close();
      }
      store = await open();
      const seen: RestoreProgress[] = [];
      await assert.rejects(
        store.restore({
          upToOffset,
          fetchBytes: 256,
          onProgress: (p) => {
            seen.push(p);
            if (seen.length === 3) throw new Error('interrupted');
          },
        }),
        /interrupted/,
      );
      assert.equal(store.position, undefined, 'unknown until a restore completes');
      await store.close();
      store = await open();
      const progress: RestoreProgress[] = [];
      const result = await store.restore({
        upToOffset,
        fetchBytes: 256,
        onProgress: (p) => progress.push(p),
      });
      if (kind.persistent) {
        assert.equal(result.mode, 'incremental');
        assert.equal(result.startOffset, seen[2]!.offset);
      }
      assert.ok(progress.length > 1);
      for (let i = 1; i < progress.length; i++) {
        assert.ok(progress[i]!.offset > progress[i - 1]!.offset);
        assert.ok(progress[i]!.recordsReplayed > progress[i - 1]!.recordsReplayed);
      }
      assert.equal(progress.at(-1)!.offset, upToOffset);
      assert.equal(progress.at(-1)!.recordsReplayed, result.recordsReplayed);
      assert.deepEqual(pairs(store.range()), states.at(-1)!.state);
      assert.equal(store.metrics().recordsRestored, result.recordsReplayed);
    }),
  );

  if (kind.persistent) {
    test(name('a deleted LMDB directory means a full restore'), () =>
      withContext(async ({ open, dir }) => {
        let store = await open();
        const states = await history(store, 3);
        await store.close();
        rmSync(join(dir, 'lmdb'), { recursive: true, force: true });
        store = await open();
        const result = await store.restore({ upToOffset: states[2]!.offset });
        assert.equal(result.mode, 'full');
        assert.deepEqual(pairs(store.range()), states[2]!.state);
      }),
    );
  }

  test(name('offsets the changelog cannot serve are refused'), () =>
    withContext(async ({ open }) => {
      const store = await open();
      await history(store, 2);
      await assert.rejects(store.restore({ upToOffset: 1000 }), hasCode('STATE_RESTORE_FAILED'));
      await assert.rejects(store.restore({ upToOffset: -1 }), hasCode('INVALID_ARGUMENT'));
      await assert.rejects(store.restore({ upToOffset: 1.5 }), hasCode('INVALID_ARGUMENT'));
      const result = await store.restore({ upToOffset: 0 });
      assert.deepEqual(store.range(), []);
      assert.equal(result.upToOffset, 0);
    }),
  );

  test(name('restore after compaction of the changelog gives the same state'), () =>
    withContext(async ({ open, log, changelog }) => {
      let store = await open();
      const states = await history(store, 40);
      for (let i = 0; i < 20; i++) store.delete(`j${i}`);
      const end = (await store.flush()).changelogEndOffset!;
      const live = pairs(store.range());
      await log.partition(changelog.topic, 0).roll();
      const { compactions } = await log.runMaintenance();
      const compacted = compactions.reduce((n, c) => n + c.recordsRemoved, 0);
      assert.ok(compacted > 0, 'compaction removed superseded records');
      assert.ok((await changelogRecords(changelog)).length < end);
      await store.close();
      // From the local snapshot (persistent backends) and by a full replay of the compacted changelog.
      store = await open();
      await store.restore({ upToOffset: end });
      assert.deepEqual(pairs(store.range()), live);
      const fresh = await open(new MemoryBackend());
      const result = await fresh.restore({ upToOffset: end });
      assert.equal(result.mode, 'full');
      assert.ok(result.recordsReplayed < end);
      assert.deepEqual(pairs(fresh.range()), live);
      // An earlier checkpoint whose records compaction kept (nothing later superseded them) still works.
      assert.ok(states.length > 0);
    }, 512),
  );
}
