import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonSerde, stringSerde } from '../model/index.ts';
import { ensureChangelogTopic } from './changelog.ts';
import { createKeyValueStore } from './create-key-value-store.ts';
import { LmdbBackend } from './lmdb-backend.ts';
import { keyValueStoreCases } from './test/key-value-store-cases.ts';
import { backendKinds, hasCode, withLog } from './test/state-fixtures.ts';

for (const kind of backendKinds) keyValueStoreCases(kind);

test('ensureChangelogTopic creates a compacted topic once and refuses unsuitable ones', () =>
  withLog(async (log) => {
    const config = await ensureChangelogTopic(log, 'pipe-counts-changelog', { partitions: 2 });
    assert.equal(config.cleanup, 'compact');
    assert.equal(config.partitions, 2);
    await ensureChangelogTopic(log, 'pipe-counts-changelog', { partitions: 2 });
    await ensureChangelogTopic(log, 'pipe-counts-changelog', { partitions: 1 });
    await assert.rejects(
      ensureChangelogTopic(log, 'pipe-counts-changelog', { partitions: 3 }),
      hasCode('INVALID_ARGUMENT'),
    );
    await log.createTopic('plain', { cleanup: 'delete' });
    await assert.rejects(ensureChangelogTopic(log, 'plain', { partitions: 1 }), hasCode('INVALID_ARGUMENT'));
  }));

test('createKeyValueStore validates its options before opening the backend', () =>
  withLog(async (log, dir) => {
    const base = { keySerde: stringSerde, valueSerde: jsonSerde<number>() };
    await assert.rejects(createKeyValueStore({ ...base, name: '' }), hasCode('INVALID_ARGUMENT'));
    await assert.rejects(createKeyValueStore({ ...base, name: 's', ttl: 0 }), hasCode('INVALID_ARGUMENT'));
    await assert.rejects(
      createKeyValueStore({ ...base, name: 's', ttl: 'soon' }),
      hasCode('INVALID_DURATION'),
    );
    const path = `${dir}/lmdb`;
    await assert.rejects(
      createKeyValueStore({
        ...base,
        name: 's',
        backend: { lmdb: { path } },
        changelog: { log, topic: 'missing-changelog', partition: 0 },
      }),
      hasCode('UNKNOWN_TOPIC'),
    );
    const backend = LmdbBackend.open({ path }); // not left open by the failed create
    await backend.close();
    const store = await createKeyValueStore({ ...base, name: 's', backend: { lmdb: { path } } });
    store.put('a', 1);
    await store.flush();
    await store.close();
    const reopened = await createKeyValueStore({ ...base, name: 's', backend: { lmdb: { path } } });
    assert.equal(reopened.get('a'), 1, 'a local-only LMDB store keeps what it flushed');
    await reopened.close();
  }));

test('the default backend is memory and stores without changelog lose everything on close', async () => {
  const store = await createKeyValueStore({ name: 's', keySerde: stringSerde, valueSerde: stringSerde });
  store.put('a', 'x');
  await store.flush();
  assert.equal(store.get('a'), 'x');
  await store.close();
  void backendKinds;
});
