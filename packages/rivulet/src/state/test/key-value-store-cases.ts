/**
 * The shared case suite every store stack runs, once per backend kind (DESIGN §7): call
 * `keyValueStoreCases(kind)` from a test file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Log } from '../../log/index.ts';
import { armFailpoint, disarmFailpoints, EngineError, jsonSerde, stringSerde } from '../../model/index.ts';
import type { Changelog } from '../changelog.ts';
import { createKeyValueStore } from '../create-key-value-store.ts';
import type { KeyValueBackend } from '../key-value-backend.ts';
import type { KeyValue, KeyValueStore } from '../key-value-store.ts';
import { decodeStorePosition } from '../store-position.ts';
import { type BackendKind, changelogRecords, hasCode, newChangelog, withLog } from './state-fixtures.ts';

const pairs = <K, V>(entries: KeyValue<K, V>[]) => entries.map((e) => [e.key, e.value]);

/** A backend wrapper whose next `apply` fails once (a disk error after the changelog append). */
export class FailingBackend implements KeyValueBackend {
  failNext = false;
  constructor(readonly inner: KeyValueBackend) {}
  get kind() {
    return this.inner.kind;
  }
  get maxKeyBytes() {
    return this.inner.maxKeyBytes;
  }
  get(key: Uint8Array) {
    return this.inner.get(key);
  }
  range(from?: Uint8Array, to?: Uint8Array, options?: { limit?: number; reverse?: boolean }) {
    return this.inner.range(from, to, options);
  }
  prefix(prefix: Uint8Array, options?: { limit?: number; reverse?: boolean }) {
    return this.inner.prefix(prefix, options);
  }
  count() {
    return this.inner.count();
  }
  apply(writes: Parameters<KeyValueBackend['apply']>[0], meta?: Uint8Array) {
    if (this.failNext) {
      this.failNext = false;
      throw new EngineError('STATE_BACKEND_FAILED', 'injected backend failure');
    }
    this.inner.apply(writes, meta);
  }
  clear() {
    this.inner.clear();
  }
  meta() {
    return this.inner.meta();
  }
  close() {
    return this.inner.close();
  }
}

export function keyValueStoreCases(kind: BackendKind): void {
  const name = (title: string) => `${kind.name} store: ${title}`;

  /** A string -> json store over `kind` in `dir`, changelogged unless `changelog === null`. */
  async function withStore(
    body: (
      store: KeyValueStore<string, unknown>,
      context: { log: Log; dir: string; changelog: Changelog | undefined; backend: FailingBackend },
    ) => Promise<void>,
    options: { changelog?: boolean; maxRecordBytes?: number } = {},
  ): Promise<void> {
    await withLog(async (log, dir) => {
      let changelog: Changelog | undefined;
      if (options.changelog !== false) {
        changelog = await newChangelog(log);
        if (options.maxRecordBytes !== undefined) {
          await log.deleteTopic(changelog.topic);
          await log.createTopic(changelog.topic, {
            cleanup: 'compact',
            maxRecordBytes: options.maxRecordBytes,
          });
        }
      }
      const backend = new FailingBackend(kind.open(dir));
      const store = await createKeyValueStore({
        name: 'counts',
        keySerde: stringSerde,
        valueSerde: jsonSerde<unknown>(),
        backend,
        changelog,
      });
      try {
        await body(store, { log, dir, changelog, backend });
      } finally {
        await store.close();
      }
    });
  }

  test(name('typed get/put/delete read their own writes before and after flush'), () =>
    withStore(async (store) => {
      assert.equal(store.get('a'), undefined);
      store.put('a', { n: 1 });
      store.put('', 'empty key');
      assert.deepEqual(store.get('a'), { n: 1 });
      assert.equal(store.get(''), 'empty key');
      await store.flush();
      assert.deepEqual(store.get('a'), { n: 1 });
      store.put('a', { n: 2 });
      assert.deepEqual(store.get('a'), { n: 2 });
      store.delete('a');
      assert.equal(store.get('a'), undefined);
      await store.flush();
      assert.equal(store.get('a'), undefined);
      assert.equal(store.get(''), 'empty key');
    }),
  );

  test(name('range merges unflushed changes with flushed entries in key order'), () =>
    withStore(async (store) => {
      for (const k of ['a', 'c', 'e', 'g']) store.put(k, k);
      await store.flush();
      store.put('b', 'B');
      store.delete('c');
      store.put('e', 'E');
      store.put('h', 'H');
      store.delete('zz');
      assert.deepEqual(pairs(store.range()), [
        ['a', 'a'],
        ['b', 'B'],
        ['e', 'E'],
        ['g', 'g'],
        ['h', 'H'],
      ]);
      assert.deepEqual(pairs(store.range('b', 'g')), [
        ['b', 'B'],
        ['e', 'E'],
      ]);
      assert.deepEqual(pairs(store.range(undefined, undefined, { limit: 2 })), [
        ['a', 'a'],
        ['b', 'B'],
      ]);
      assert.deepEqual(
        store.range(undefined, undefined, { reverse: true }).map((e) => e.key),
        ['h', 'g', 'e', 'b', 'a'],
      );
      assert.deepEqual(
        store.range('b', 'h', { reverse: true, limit: 2 }).map((e) => e.key),
        ['g', 'e'],
      );
      assert.deepEqual(store.range('c', 'd'), []);
    }),
  );

  test(name('deletes in the cache never starve a limited range'), () =>
    withStore(async (store) => {
      for (let i = 0; i < 10; i++) store.put(`k${i}`, i);
      await store.flush();
      for (let i = 0; i < 6; i++) store.delete(`k${i}`);
      assert.deepEqual(
        store.range(undefined, undefined, { limit: 3 }).map((e) => e.key),
        ['k6', 'k7', 'k8'],
      );
      for (let i = 9; i > 4; i--) store.delete(`k${i}`);
      assert.deepEqual(store.range(undefined, undefined, { limit: 3, reverse: true }), []);
      store.put('k7', 'back');
      assert.deepEqual(pairs(store.range(undefined, undefined, { limit: 3, reverse: true })), [
        ['k7', 'back'],
      ]);
    }),
  );

  test(name('prefixScan sees cached and flushed keys with the prefix'), () =>
    withStore(async (store) => {
      for (const k of ['user:1', 'user:2', 'users', 'usex', 'order:1']) store.put(k, k.length);
      await store.flush();
      store.put('user:3', 3);
      store.delete('user:1');
      assert.deepEqual(
        store.prefixScan('user:').map((e) => e.key),
        ['user:2', 'user:3'],
      );
      assert.deepEqual(
        store.prefixScan('user').map((e) => e.key),
        ['user:2', 'user:3', 'users'],
      );
      assert.deepEqual(
        store.prefixScan('user', { limit: 1, reverse: true }).map((e) => e.key),
        ['users'],
      );
    }),
  );

  test(name('flush writes the changes with one append, then the backend with the end offset as meta'), () =>
    withStore(async (store, { changelog, backend }) => {
      store.put('a', 1);
      store.put('b', 2);
      store.delete('c');
      store.put('a', 3);
      const first = await store.flush();
      assert.equal(first.changelogEndOffset, 3);
      assert.equal(first.records, 3);
      assert.equal(store.position, 3);
      assert.deepEqual(await changelogRecords(changelog!), [
        ['a', '3'],
        ['b', '2'],
        ['c', null],
      ]);
      assert.deepEqual(decodeStorePosition(backend.meta()), {
        topic: changelog!.topic,
        partition: 0,
        offset: 3,
      });
      assert.equal(backend.count(), 2);
      const empty = await store.flush();
      assert.deepEqual(empty, { changelogEndOffset: 3, records: 0, expired: 0 });
      assert.equal(
        changelog!.log.partition(changelog!.topic, 0).highWatermark,
        3,
        'an empty flush appends nothing',
      );
    }),
  );

  test(name('writes made while a flush waits stay cached and go out with the next flush'), () =>
    withStore(async (store, { changelog }) => {
      store.put('a', 1);
      store.put('b', 1);
      const flushing = store.flush();
      store.put('a', 2);
      store.put('c', 1);
      const second = store.flush();
      assert.deepEqual(store.get('a'), 2);
      assert.equal((await flushing).changelogEndOffset, 2);
      assert.deepEqual(pairs(store.range()), [
        ['a', 2],
        ['b', 1],
        ['c', 1],
      ]);
      assert.equal((await second).changelogEndOffset, 4);
      assert.deepEqual(await changelogRecords(changelog!), [
        ['a', '1'],
        ['b', '1'],
        ['a', '2'],
        ['c', '1'],
      ]);
    }),
  );

  test(name('a flush queued behind a restore does not bring back the writes the restore dropped'), () =>
    withStore(async (store, { changelog }) => {
      store.put('a', 1);
      await store.flush();
      store.put('b', 2);
      const restoring = store.restore({ upToOffset: 1 });
      const flushing = store.flush();
      await restoring;
      assert.deepEqual(await flushing, { changelogEndOffset: 1, records: 0, expired: 0 });
      assert.deepEqual(pairs(store.range()), [['a', 1]]);
      assert.deepEqual(await changelogRecords(changelog!), [['a', '1']]);
    }),
  );

  test(name('a failed changelog append keeps the cache; the retry writes the changes once'), () =>
    withStore(async (store, { changelog }) => {
      store.put('a', 1);
      await store.flush();
      store.put('b', 2);
      store.delete('a');
      armFailpoint('log.append.before-write', 'throw');
      try {
        await assert.rejects(store.flush());
      } finally {
        disarmFailpoints();
      }
      assert.deepEqual(pairs(store.range()), [['b', 2]]);
      assert.equal(store.position, 1);
      assert.equal((await store.flush()).changelogEndOffset, 3);
      assert.deepEqual(await changelogRecords(changelog!), [
        ['a', '1'],
        ['b', '2'],
        ['a', null],
      ]);
    }),
  );

  test(
    name('a backend failure after the append keeps the cache; the retry succeeds and a restore agrees'),
    () =>
      withStore(async (store, { changelog, backend }) => {
        store.put('a', 1);
        await store.flush();
        store.put('b', 2);
        store.delete('a');
        backend.failNext = true;
        await assert.rejects(store.flush(), hasCode('STATE_BACKEND_FAILED'));
        assert.deepEqual(pairs(store.range()), [['b', 2]]);
        assert.equal(store.position, 1, 'the backend did not move');
        assert.equal(changelog!.log.partition(changelog!.topic, 0).highWatermark, 3, 'the changelog did');
        assert.equal((await store.flush()).changelogEndOffset, 5);
        assert.deepEqual(pairs(store.range()), [['b', 2]]);
        const fresh = await createKeyValueStore({
          name: 'fresh',
          keySerde: stringSerde,
          valueSerde: jsonSerde<unknown>(),
          changelog,
        });
        try {
          await fresh.restore({ upToOffset: 5 });
          assert.deepEqual(pairs(fresh.range()), [['b', 2]]);
          await fresh.restore({ upToOffset: 3 });
          assert.deepEqual(
            pairs(fresh.range()),
            [['b', 2]],
            'the failed flush is a complete changelog state too',
          );
        } finally {
          await fresh.close();
        }
      }),
  );

  test(name('approximateCount counts flushed entries and unflushed changes'), () =>
    withStore(async (store) => {
      store.put('a', 1);
      store.put('b', 1);
      assert.equal(store.approximateCount(), 2);
      await store.flush();
      store.put('a', 2);
      store.put('c', 1);
      store.delete('b');
      store.delete('zz');
      assert.equal(store.approximateCount(), 2);
      await store.flush();
      assert.equal(store.approximateCount(), 2);
    }),
  );

  test(name('keys over the backend limit and entries over the record limit are refused at put'), () =>
    withStore(
      async (store) => {
        assert.throws(() => store.put('k'.repeat(2000), 1), hasCode('STATE_KEY_TOO_LARGE'));
        assert.throws(() => store.put('k', 'v'.repeat(1100)), hasCode('RECORD_TOO_LARGE'));
        store.put('k', 'v'.repeat(900));
        store.delete('k'.repeat(2000));
        assert.equal((await store.flush()).records, 1);
      },
      { maxRecordBytes: 1024 },
    ),
  );

  test(name('counts operations and flush latency in its metrics'), () =>
    withStore(async (store) => {
      store.put('a', 1);
      store.put('b', 1);
      store.delete('b');
      store.get('a');
      store.range();
      store.prefixScan('a');
      await store.flush();
      await store.flush();
      const m = store.metrics();
      assert.equal(m.puts, 2);
      assert.equal(m.deletes, 1);
      assert.equal(m.gets, 1);
      assert.equal(m.ranges, 2);
      assert.equal(m.flushes, 2);
      assert.equal(m.flushedRecords, 2);
      assert.ok(m.flushLatencyMsTotal >= m.flushLatencyMsMax && m.flushLatencyMsMax >= 0);
      m.puts = 100;
      assert.equal(store.metrics().puts, 2, 'metrics() returns a copy');
    }),
  );

  test(name('a closed store refuses work; close drops unflushed writes and is idempotent'), () =>
    withStore(async (store) => {
      store.put('a', 1);
      await store.close();
      await store.close();
      assert.throws(() => store.get('a'), hasCode('STATE_STORE_CLOSED'));
      assert.throws(() => store.put('a', 1), hasCode('STATE_STORE_CLOSED'));
      assert.throws(() => store.range(), hasCode('STATE_STORE_CLOSED'));
      await assert.rejects(store.flush(), hasCode('STATE_STORE_CLOSED'));
    }),
  );

  test(name('without a changelog, flush applies to the backend only and restore is refused'), () =>
    withStore(
      async (store, { backend }) => {
        store.put('a', 1);
        store.delete('b');
        const result = await store.flush();
        assert.equal(result.changelogEndOffset, undefined);
        assert.equal(store.position, undefined);
        assert.equal(backend.count(), 1);
        assert.equal(backend.meta(), undefined);
        await assert.rejects(store.restore({ upToOffset: 0 }), hasCode('INVALID_ARGUMENT'));
      },
      { changelog: false },
    ),
  );

  test(
    name('a second writer on the changelog partition makes flush fail with STATE_CHANGELOG_DIVERGED'),
    () =>
      withStore(async (store, { changelog }) => {
        store.put('a', 1);
        await store.flush();
        const { log, topic } = changelog!;
        await log.append(topic, 0, [
          { key: Buffer.from('x'), value: Buffer.from('1'), headers: undefined, timestamp: 0 },
        ]);
        store.put('b', 1);
        await assert.rejects(store.flush(), hasCode('STATE_CHANGELOG_DIVERGED'));
        assert.deepEqual(store.get('b'), 1, 'the change stays cached');
      }),
  );
}
