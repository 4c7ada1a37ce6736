import assert from 'node:assert/strict';
import { test } from 'node:test';
import { custom, pipeline, topic } from '../dsl/index.ts';
import { EngineError } from '../model/index.ts';
import { TestDriver } from './test-driver.ts';

/** A serde of our own: a point as two little-endian int32s. */
const pointSerde = {
  name: 'point',
  encode(p: { x: number; y: number }): Uint8Array {
    const out = Buffer.alloc(8);
    out.writeInt32LE(p.x, 0);
    out.writeInt32LE(p.y, 4);
    return out;
  },
  decode(bytes: Uint8Array): { x: number; y: number } {
    if (bytes.length !== 8)
      throw new EngineError('INVALID_RECORD', `a point is 8 bytes, got ${bytes.length}`);
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    return { x: b.readInt32LE(0), y: b.readInt32LE(4) };
  },
};

test('custom(serde) decodes a source and encodes a sink with the given serde', () => {
  const p = pipeline('points');
  p.from('in', topic('points-in', custom(pointSerde)))
    .map((pt) => ({ x: pt.y, y: pt.x }))
    .to('out', topic('points-out', custom(pointSerde)));
  assert.match(p.explain(), /custom 'point'/);
  const driver = new TestDriver(p);
  driver.pipeInput('points-in', { x: 3, y: -4 });
  const out = driver.readOutput('points-out');
  assert.deepEqual(
    out.map((r) => r.value),
    [{ x: -4, y: 3 }],
  );
});

test('bytes a custom serde cannot decode go to the deserialize error policy', () => {
  const p = pipeline('points');
  p.from('in', topic('points-in', custom(pointSerde))).to('out', topic('points-out', custom(pointSerde)));
  const driver = new TestDriver(p);
  assert.throws(() => driver.pipeRawInput('points-in', Buffer.from([1, 2, 3])), /a point is 8 bytes, got 3/);
});

test('custom formats are refused for keys and without a serde', () => {
  const p = pipeline('points');
  assert.throws(
    () => p.from('in', topic('points-in', custom(pointSerde), { key: custom(pointSerde) })),
    (e) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT',
  );
  assert.throws(
    () => custom({ name: 'broken' } as never),
    (e) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT',
  );
});
