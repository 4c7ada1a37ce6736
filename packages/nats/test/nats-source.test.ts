import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { isEngineError } from 'rivulet/connector';
import type { NatsReader } from '../src/nats-source.ts';
import { natsSource } from '../src/nats-source.ts';
import { uniqueName } from './jetstream-harness.ts';
import { SHARED_SERVER } from './nats-server-process.ts';

let nc: NatsConnection;
before(async () => {
  nc = await connect({ servers: SHARED_SERVER });
});
after(() => nc.close());

test('natsSource: a full pending buffer drops and counts; records carry key and subject', async () => {
  const subject = `${uniqueName('rivulet_core')}.in`;
  const source = natsSource({ servers: SHARED_SERVER, subject, maxPending: 10 });
  const reader = (await source.open(subject, '7')) as NatsReader;
  try {
    for (let i = 0; i < 50; i++) {
      const h = headers();
      h.set('Rivulet-Key', `k${i}`);
      h.set('trace', `t${i}`);
      nc.publish(subject, `v${i}`, { headers: h });
    }
    await nc.flush();
    const deadline = Date.now() + 5_000;
    while (reader.dropped < 40 && Date.now() < deadline) await reader.poll(0, 20);
    const batch = await reader.poll(100, 200);
    assert.deepEqual(
      batch.records.map((r) => Buffer.from(r.value!).toString()),
      Array.from({ length: 10 }, (_, i) => `v${i}`),
    );
    assert.equal(reader.dropped, 40);
    assert.equal(batch.position, '17', 'the position counts on from the opening one');
    assert.equal(Buffer.from(batch.records[3]!.key!).toString(), 'k3');
    assert.equal(Buffer.from(batch.records[3]!.headers!.get('trace')!).toString(), 't3');
    assert.equal(Buffer.from(batch.records[3]!.headers!.get('rivulet.source.subject')!).toString(), subject);
  } finally {
    await reader.close();
  }
});

test('natsSource: a malformed position is SOURCE_POSITION_INVALID', async () => {
  const source = natsSource({ servers: SHARED_SERVER, subject: 'x' });
  await assert.rejects(source.open('x', 'nope'), (e: unknown) => isEngineError(e, 'SOURCE_POSITION_INVALID'));
});
