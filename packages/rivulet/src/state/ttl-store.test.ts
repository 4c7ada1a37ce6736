import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, stringSerde } from '../model/index.ts';
import type { Changelog } from './changelog.ts';
import { createKeyValueStore } from './create-key-value-store.ts';
import type { KeyValueBackend } from './key-value-backend.ts';
import type { KeyValue, KeyValueStore } from './key-value-store.ts';
import { MemoryBackend } from './memory-backend.ts';
import { backendKinds, changelogRecords, hasCode, newChangelog, withLog } from './test/state-fixtures.ts';

const pairs = <K, V>(entries: KeyValue<K, V>[]) => entries.map((e) => [e.key, e.value]);

for (const kind of backendKinds) {
  const name = (title: string) => `${kind.name} ttl: ${title}`;

  async function withTtlStore(
    body: (
      store: KeyValueStore<string, string>,
      context: { clock: ManualClock; changelog: Changelog; backend: KeyValueBackend },
    ) => Promise<void>,
    purgeLimit?: number,
  ): Promise<void> {
    await withLog(async (log, dir) => {
      const changelog = await newChangelog(log);
      const clock = new ManualClock(1_000_000);
      const backend = kind.open(dir);
      const store = await createKeyValueStore({
        name: 'sessions',
        keySerde: stringSerde,
        valueSerde: stringSerde,
        backend,
        changelog,
        ttl: '1s',
        clock,
        purgeLimit,
      });
      try {
        await body(store, { clock, changelog, backend });
      } finally {
        await store.close();
      }
    });
  }

  test(name('entries vanish from get, range and prefixScan once ttl has passed since their last write'), () =>
    withTtlStore(async (store, { clock }) => {
      store.put('a', 'A');
      clock.advance(500);
      store.put('b', 'B');
      await store.flush();
      clock.advance(499);
      assert.deepEqual(pairs(store.range()), [
        ['a', 'A'],
        ['b', 'B'],
      ]);
      clock.advance(1); // a is exactly 1000 ms old
      assert.equal(store.get('a'), undefined);
      assert.equal(store.get('b'), 'B');
      assert.deepEqual(pairs(store.range()), [['b', 'B']]);
      assert.deepEqual(pairs(store.prefixScan('a')), []);
      store.put('b', 'B2'); // a write restarts the clock
      clock.advance(999);
      assert.equal(store.get('b'), 'B2');
      clock.advance(1);
      assert.deepEqual(store.range(), []);
    }),
  );

  test(name('a limited range skips expired entries and still fills the limit'), () =>
    withTtlStore(async (store, { clock }) => {
      for (let i = 0; i < 10; i++) store.put(`old${i}`, 'x');
      await store.flush();
      clock.advance(600);
      for (let i = 0; i < 5; i++) store.put(`old${i * 2}`, 'renewed');
      store.put('z', 'z');
      clock.advance(400);
      assert.deepEqual(
        store.range(undefined, undefined, { limit: 3 }).map((e) => e.key),
        ['old0', 'old2', 'old4'],
      );
      assert.deepEqual(
        store.range(undefined, undefined, { limit: 2, reverse: true }).map((e) => e.key),
        ['z', 'old8'],
      );
      assert.equal(store.range().length, 6);
    }),
  );

  test(name('flush purges expired entries with tombstones, a bounded number per flush'), () =>
    withTtlStore(async (store, { clock, changelog, backend }) => {
      for (let i = 0; i < 7; i++) store.put(`k${i}`, 'v');
      store.put('keep', 'v');
      await store.flush();
      clock.advance(900);
      store.put('keep', 'v2');
      clock.advance(100);
      const before = (await changelogRecords(changelog)).length;
      const first = await store.flush(); // scans 3 entries from where the last flush's scan stopped
      assert.equal(first.expired, 3);
      assert.equal(first.records, 4, 'keep plus three tombstones');
      const second = await store.flush();
      const third = await store.flush();
      assert.equal(second.expired + third.expired, 4);
      assert.equal(backend.count(), 1);
      const records = (await changelogRecords(changelog)).slice(before);
      assert.deepEqual(
        records
          .filter(([, v]) => v === null)
          .map(([k]) => k)
          .sort(),
        ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6'],
      );
      assert.equal(store.metrics().expiredPurged, 7);
      assert.equal((await store.flush()).expired, 0);
    }, 3),
  );

  test(name('a store restored from the changelog expires exactly like the live one'), () =>
    withTtlStore(async (store, { clock, changelog }) => {
      for (let i = 0; i < 6; i++) {
        store.put(`k${i}`, `v${i}`);
        clock.advance(300);
        if (i === 3) store.delete('k0');
      }
      const { changelogEndOffset } = await store.flush();
      const restored = await createKeyValueStore({
        name: 'sessions',
        keySerde: stringSerde,
        valueSerde: stringSerde,
        backend: new MemoryBackend(),
        changelog,
        ttl: 1000,
        clock,
      });
      try {
        await restored.restore({ upToOffset: changelogEndOffset! });
        assert.equal(store.range().length, 3, 'k3 k4 k5 are still alive');
        for (let step = 0; step < 6; step++) {
          assert.deepEqual(pairs(restored.range()), pairs(store.range()), `at step ${step}`);
          clock.advance(250);
        }
        assert.deepEqual(restored.range(), []);
      } finally {
        await restored.close();
      }
    }),
  );
}

test('a store with ttl refuses values written without one', () =>
  withLog(async (log) => {
    const changelog = await newChangelog(log);
    const plain = await createKeyValueStore({
      name: 's',
      keySerde: stringSerde,
      valueSerde: stringSerde,
      changelog,
    });
    plain.put('k', 'v');
    const { changelogEndOffset } = await plain.flush();
    await plain.close();
    const timed = await createKeyValueStore({
      name: 's',
      keySerde: stringSerde,
      valueSerde: stringSerde,
      changelog,
      ttl: '1m',
    });
    try {
      await timed.restore({ upToOffset: changelogEndOffset! });
      assert.throws(() => timed.get('k'), hasCode('INVALID_RECORD'));
    } finally {
      await timed.close();
    }
  }));
