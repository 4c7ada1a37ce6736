/**
 * The shared case suite every KeyValueBackend implementation runs (DESIGN §7): call
 * `backendCases(kind)` from a test file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyValueBackend, KeyValueEntry } from '../key-value-backend.ts';
import { decodeStorePosition, encodeStorePosition } from '../store-position.ts';
import { type BackendKind, bytes, hasCode, text, withTempDir } from './state-fixtures.ts';

const keysOf = (entries: KeyValueEntry[]) => entries.map((e) => text(e.key));
const pairsOf = (entries: KeyValueEntry[]) => entries.map((e) => [text(e.key), text(e.value)]);

async function withBackend(
  kind: BackendKind,
  body: (backend: KeyValueBackend, dir: string) => Promise<void> | void,
) {
  await withTempDir(async (dir) => {
    const backend = kind.open(dir);
    try {
      await body(backend, dir);
    } finally {
      await backend.close();
    }
  });
}

const put = (key: string, value: string) => ({ key: bytes(key), value: bytes(value) });
const del = (key: string) => ({ key: bytes(key), value: null });

export function backendCases(kind: BackendKind): void {
  const name = (title: string) => `${kind.name} backend: ${title}`;

  test(name('starts empty'), () =>
    withBackend(kind, (b) => {
      assert.equal(b.get(bytes('a')), undefined);
      assert.deepEqual(b.range(), []);
      assert.equal(b.count(), 0);
      assert.equal(b.meta(), undefined);
    }),
  );

  test(name('orders keys by unsigned bytes, the empty key first, a prefix before its extensions'), () =>
    withBackend(kind, (b) => {
      const keys = ['\x80', '\x7f\x00', '', '\xff', '\x00', '\x7f', '\x01\x02', '\xff\xff', '\x00\x00'];
      b.apply(keys.map((k) => put(k, `v${k}`)));
      assert.deepEqual(keysOf(b.range()), [
        '',
        '\x00',
        '\x00\x00',
        '\x01\x02',
        '\x7f',
        '\x7f\x00',
        '\x80',
        '\xff',
        '\xff\xff',
      ]);
      assert.equal(b.count(), keys.length);
      assert.equal(text(b.get(bytes(''))!), 'v');
      assert.equal(text(b.get(bytes('\x7f\x00'))!), 'v\x7f\x00');
    }),
  );

  test(name('range: from inclusive, to exclusive, limit, reverse'), () =>
    withBackend(kind, (b) => {
      b.apply(['a', 'b', 'c', 'd', 'e'].map((k) => put(k, k.toUpperCase())));
      assert.deepEqual(pairsOf(b.range(bytes('b'), bytes('d'))), [
        ['b', 'B'],
        ['c', 'C'],
      ]);
      assert.deepEqual(keysOf(b.range(bytes('b'))), ['b', 'c', 'd', 'e']);
      assert.deepEqual(keysOf(b.range(undefined, bytes('c'))), ['a', 'b']);
      assert.deepEqual(keysOf(b.range(bytes('bb'), bytes('dd'))), ['c', 'd']);
      assert.deepEqual(keysOf(b.range(undefined, undefined, { limit: 2 })), ['a', 'b']);
      assert.deepEqual(keysOf(b.range(undefined, undefined, { limit: 0 })), []);
      assert.deepEqual(keysOf(b.range(bytes('b'), bytes('e'), { reverse: true })), ['d', 'c', 'b']);
      assert.deepEqual(keysOf(b.range(undefined, undefined, { reverse: true, limit: 2 })), ['e', 'd']);
      assert.deepEqual(keysOf(b.range(bytes('c'), undefined, { reverse: true })), ['e', 'd', 'c']);
      assert.deepEqual(keysOf(b.range(undefined, bytes('c'), { reverse: true })), ['b', 'a']);
      assert.deepEqual(keysOf(b.range(bytes('d'), bytes('b'))), []);
      assert.deepEqual(keysOf(b.range(bytes('c'), bytes('c'))), []);
    }),
  );

  test(name('range bounds longer than any storable key still bound correctly'), () =>
    withBackend(kind, (b) => {
      const max = b.maxKeyBytes;
      const longest = (fill: number, last?: number) => {
        const key = Buffer.alloc(max, fill);
        if (last !== undefined) key[max - 1] = last;
        return key;
      };
      const at = longest(0x61);
      const below = longest(0x61, 0x60);
      const above = longest(0x61, 0x62);
      b.apply([below, at, above].map((key) => ({ key, value: bytes('v') })));
      const beyond = Buffer.concat([at, bytes('\x00')]); // just after `at`, longer than any key
      const view = (entries: KeyValueEntry[]) =>
        entries.map((e) =>
          Buffer.from(e.key).equals(at) ? 'at' : Buffer.from(e.key).equals(below) ? 'below' : 'above',
        );
      assert.deepEqual(view(b.range(beyond)), ['above']);
      assert.deepEqual(view(b.range(undefined, beyond)), ['below', 'at']);
      assert.deepEqual(view(b.range(undefined, beyond, { reverse: true })), ['at', 'below']);
      assert.deepEqual(view(b.range(beyond, undefined, { reverse: true })), ['above']);
      assert.deepEqual(view(b.range(at, beyond)), ['at']);
      assert.deepEqual(view(b.range(beyond, beyond)), []);
      assert.deepEqual(view(b.prefix(at)), ['at']);
      assert.deepEqual(view(b.prefix(beyond)), []);
    }),
  );

  test(name('prefix scans, including 0xff prefixes and the empty prefix'), () =>
    withBackend(kind, (b) => {
      b.apply(
        ['a', 'ab', 'abc', 'ac', 'b', '\xff', '\xff\x01', '\xff\xff', '\xff\xff\x00'].map((k) => put(k, 'x')),
      );
      assert.deepEqual(keysOf(b.prefix(bytes('ab'))), ['ab', 'abc']);
      assert.deepEqual(keysOf(b.prefix(bytes('a'), { limit: 2 })), ['a', 'ab']);
      assert.deepEqual(keysOf(b.prefix(bytes('a'), { reverse: true })), ['ac', 'abc', 'ab', 'a']);
      assert.deepEqual(keysOf(b.prefix(bytes('\xff'))), ['\xff', '\xff\x01', '\xff\xff', '\xff\xff\x00']);
      assert.deepEqual(keysOf(b.prefix(bytes('\xff\xff'))), ['\xff\xff', '\xff\xff\x00']);
      assert.deepEqual(keysOf(b.prefix(bytes(''))).length, 9);
      assert.deepEqual(keysOf(b.prefix(bytes('z'))), []);
    }),
  );

  test(name('apply runs a batch in order: the last write to a key wins'), () =>
    withBackend(kind, (b) => {
      b.apply([put('k', '1'), del('k'), put('k', '2'), put('j', '1'), del('j'), del('missing')]);
      assert.deepEqual(pairsOf(b.range()), [['k', '2']]);
      b.apply([del('k'), put('k', '3'), del('k')]);
      assert.deepEqual(b.range(), []);
      assert.equal(b.count(), 0);
      b.apply([put('a', ''), put('b', 'x')]);
      assert.equal(b.get(bytes('a'))!.length, 0, 'an empty value is a value, not a delete');
      assert.equal(b.count(), 2);
    }),
  );

  test(name('meta is written with the batch, kept by batches without meta, removed by clear'), () =>
    withBackend(kind, (b) => {
      const meta = encodeStorePosition({ topic: 't', partition: 0, offset: 7 });
      b.apply([put('a', '1')], meta);
      assert.deepEqual(decodeStorePosition(b.meta()), { topic: 't', partition: 0, offset: 7 });
      b.apply([put('b', '1')]);
      assert.equal(decodeStorePosition(b.meta())?.offset, 7);
      b.apply([], encodeStorePosition({ topic: 't', partition: 0, offset: 9 }));
      assert.equal(decodeStorePosition(b.meta())?.offset, 9);
      assert.equal(b.count(), 2);
      b.clear();
      assert.equal(b.meta(), undefined);
      assert.equal(b.count(), 0);
      assert.deepEqual(b.range(), []);
      b.apply([put('c', '1')]);
      assert.deepEqual(keysOf(b.range()), ['c']);
    }),
  );

  test(name('a batch with a key over the limit applies nothing, meta included'), () =>
    withBackend(kind, (b) => {
      b.apply([put('a', '1')], bytes('m1'));
      const long = { key: new Uint8Array(b.maxKeyBytes + 1), value: bytes('x') };
      assert.throws(
        () => b.apply([put('b', '1'), long, del('a')], bytes('m2')),
        hasCode('STATE_BACKEND_FAILED'),
      );
      assert.deepEqual(pairsOf(b.range()), [['a', '1']]);
      assert.equal(text(b.meta()!), 'm1');
      const longest = new Uint8Array(b.maxKeyBytes).fill(0x41);
      b.apply([{ key: longest, value: bytes('y') }]);
      assert.equal(text(b.get(longest)!), 'y');
    }),
  );

  test(name('bytes in and out are not shared: inputs may be reused, outputs stay valid'), () =>
    withBackend(kind, (b) => {
      const key = bytes('key');
      const value = new Uint8Array([1, 2, 3]);
      b.apply([{ key, value }]);
      value[0] = 9;
      key[0] = 0x6c;
      assert.deepEqual([...b.get(bytes('key'))!], [1, 2, 3]);
      const before = b.get(bytes('key'))!;
      const scanned = b.range();
      b.apply([{ key: bytes('key'), value: new Uint8Array([7]) }, put('kez', 'z')]);
      b.get(bytes('kez'));
      b.range();
      assert.deepEqual([...before], [1, 2, 3]);
      assert.deepEqual(pairsOf(scanned), [['key', '\x01\x02\x03']]);
    }),
  );

  test(name('close is idempotent and later calls fail with STATE_STORE_CLOSED'), () =>
    withTempDir(async (dir) => {
      const b = kind.open(dir);
      await b.close();
      await b.close();
      assert.throws(() => b.get(bytes('a')), hasCode('STATE_STORE_CLOSED'));
      assert.throws(() => b.apply([put('a', '1')]), hasCode('STATE_STORE_CLOSED'));
      assert.throws(() => b.range(), hasCode('STATE_STORE_CLOSED'));
    }),
  );

  if (kind.persistent) {
    test(name('entries and meta survive close and reopen'), () =>
      withTempDir(async (dir) => {
        let b = kind.open(dir);
        b.apply([put('a', '1'), put('b', '2')], bytes('meta-1'));
        b.apply([del('a')]);
        await b.close();
        b = kind.open(dir);
        try {
          assert.deepEqual(pairsOf(b.range()), [['b', '2']]);
          assert.equal(text(b.meta()!), 'meta-1');
          assert.equal(b.count(), 1);
        } finally {
          await b.close();
        }
      }),
    );
  }
}
