import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LmdbBackend } from './lmdb-backend.ts';
import { backendCases } from './test/backend-cases.ts';
import { keyArb } from './test/key-arbitrary.ts';
import { ReferenceMap } from './test/reference-map.ts';
import { backendKinds, bytes, hasCode, text, withTempDir } from './test/state-fixtures.ts';

for (const kind of backendKinds) backendCases(kind);

test('lmdb backend: one environment directory cannot be opened twice in a process', () =>
  withTempDir(async (dir) => {
    const a = LmdbBackend.open({ path: dir });
    try {
      assert.throws(() => LmdbBackend.open({ path: dir }), hasCode('INVALID_ARGUMENT'));
    } finally {
      await a.close();
    }
    const b = LmdbBackend.open({ path: dir });
    await b.close();
  }));

const writeArb = fc.record({ key: keyArb, value: fc.option(fc.string({ maxLength: 4 }), { nil: null }) });
const queryArb = fc.record({
  from: fc.option(keyArb, { nil: undefined }),
  to: fc.option(keyArb, { nil: undefined }),
  limit: fc.option(fc.nat(6), { nil: undefined }),
  reverse: fc.boolean(),
  prefix: keyArb,
});

for (const kind of backendKinds) {
  test(`${kind.name} backend: random batches and scans match a sorted Map (property)`, () =>
    withTempDir(async (dir) => {
      const backend = kind.open(dir);
      try {
        fc.assert(
          fc.property(
            fc.array(fc.array(writeArb, { maxLength: 8 }), { maxLength: 6 }),
            fc.array(queryArb, { maxLength: 4 }),
            (batches, queries) => {
              backend.clear();
              const reference = new ReferenceMap();
              for (const batch of batches) {
                backend.apply(
                  batch.map((w) => ({
                    key: bytes(w.key),
                    value: w.value === null ? null : Buffer.from(w.value, 'utf8'),
                  })),
                );
                for (const w of batch) {
                  if (w.value === null) reference.delete(w.key);
                  else reference.put(w.key, Buffer.from(w.value, 'utf8').toString('latin1'));
                }
              }
              const pairs = (entries: { key: Uint8Array; value: Uint8Array }[]) =>
                entries.map((e) => [text(e.key), text(e.value)]);
              assert.equal(backend.count(), reference.entries.size);
              assert.deepEqual(pairs(backend.range()), reference.range(undefined, undefined));
              for (const q of queries) {
                const options = { limit: q.limit, reverse: q.reverse };
                assert.deepEqual(
                  pairs(
                    backend.range(
                      q.from === undefined ? undefined : bytes(q.from),
                      q.to === undefined ? undefined : bytes(q.to),
                      options,
                    ),
                  ),
                  reference.range(q.from, q.to, q.limit, q.reverse),
                );
                assert.deepEqual(
                  pairs(backend.prefix(bytes(q.prefix), { limit: q.limit })),
                  reference.prefix(q.prefix, q.limit),
                );
                assert.equal(
                  backend.get(bytes(q.prefix)) === undefined
                    ? undefined
                    : text(backend.get(bytes(q.prefix))!),
                  reference.get(q.prefix),
                );
              }
            },
          ),
          { numRuns: 300 },
        );
      } finally {
        await backend.close();
      }
    }));
}
