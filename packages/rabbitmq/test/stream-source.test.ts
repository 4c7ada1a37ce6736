import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { isEngineError, type SourceReader } from 'rivulet/connector';
import { rabbitStreamSource } from '../src/index.ts';
import { publishRecords, uniqueName, sharedRabbitUrl as url, withChannel } from './rabbitmq-harness.ts';

const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');

const created: string[] = [];
after(async () => {
  await withChannel(url, async (channel) => {
    for (const name of created) await channel.deleteQueue(name);
  });
});

async function newStream(args: Record<string, unknown> = {}): Promise<string> {
  const queue = uniqueName('stream');
  created.push(queue);
  await withChannel(url, (channel) =>
    channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'stream', ...args } }),
  );
  return queue;
}

async function pollUntil(reader: SourceReader, count: number, ms = 10_000) {
  const records = [];
  let position = '';
  const deadline = Date.now() + ms;
  while (records.length < count && Date.now() < deadline) {
    const batch = await reader.poll(100, 50);
    records.push(...batch.records);
    position = batch.position;
  }
  return { records, position };
}

describe('rabbitStreamSource', () => {
  test('the server supports stream queues (RabbitMQ >= 3.9)', async (t) => {
    const { connect } = await import('amqplib');
    const connection = await connect(url);
    const { product, version, platform } = connection.connection.serverProperties;
    await connection.close();
    t.diagnostic(`server: ${product} ${version} on ${platform}`);
    const [major, minor] = String(version).split('.').map(Number);
    assert.ok(major! > 3 || (major === 3 && minor! >= 9), `RabbitMQ ${version} has no stream queues`);
  });

  test('bad options fail fast with INVALID_ARGUMENT naming the option', () => {
    const cases: Array<[unknown, string]> = [
      [{ queue: 's' }, 'url'],
      [{ url: 'redis://127.0.0.1', queue: 's' }, 'url'],
      [{ url }, 'queue'],
      [{ url, queue: 's', prefetch: -1 }, 'prefetch'],
      [{ url, queue: 's', offset: 3 }, 'offset'],
    ];
    for (const [options, option] of cases)
      assert.throws(
        () => rabbitStreamSource(options as never),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
        `expected INVALID_ARGUMENT for ${option}`,
      );
  });

  test('malformed positions: SOURCE_POSITION_INVALID', async () => {
    const queue = await newStream();
    const source = rabbitStreamSource({ url, queue });
    for (const position of ['first', '-1', '2.0', '1e3'])
      await assert.rejects(source.open(queue, position), (error: unknown) =>
        isEngineError(error, 'SOURCE_POSITION_INVALID'),
      );
    const reader = await source.open(queue, undefined);
    try {
      assert.equal((await reader.poll(10, 50)).position, '', 'nothing read: an empty position');
      await assert.rejects(reader.commit('0'), (error: unknown) =>
        isEngineError(error, 'SOURCE_POSITION_INVALID'),
      );
    } finally {
      await reader.close();
    }
  });

  test('positions are stream offsets; a reader opened at one resumes exactly after it, with provenance', async () => {
    const queue = await newStream();
    await publishRecords(
      url,
      queue,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 3}`, value: String(i) })),
      { messageId: 'm', timestamp: 1_700_000_001 },
    );
    const source = rabbitStreamSource({ url, queue });
    const all = await source.open(queue, undefined);
    const { records, position } = await pollUntil(all, 20);
    await all.close();
    assert.deepEqual(
      records.map((r) => text(r.value!)),
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
    assert.equal(position, '19', 'the offset of the last record');
    const r5 = records[5]!;
    assert.equal(text(r5.headers!.get('rivulet.source.stream-offset')), '5');
    assert.equal(text(r5.headers!.get('rivulet.source.queue')), queue);
    assert.equal(text(r5.headers!.get('rivulet.source.message-id')), 'm');
    assert.equal(r5.headers!.has('x-stream-offset'), false, 'the offset header is not repeated');
    assert.equal(text(r5.key!), 'k2');
    assert.equal(r5.timestamp, 1_700_000_001_000);

    // Reopened at offset 7 without any commit: 8..19, exactly once (reading never consumes a stream).
    const again = await source.open(queue, '7');
    try {
      const rest = await pollUntil(again, 12);
      assert.deepEqual(
        rest.records.map((r) => text(r.value!)),
        Array.from({ length: 12 }, (_, i) => String(i + 8)),
      );
      const extra = await again.poll(100, 300);
      assert.equal(extra.records.length, 0);
      await again.commit(rest.position);
    } finally {
      await again.close();
    }
  });

  test('a position the stream no longer holds (retention) is SOURCE_POSITION_INVALID, not a silent gap', async () => {
    // Tiny segments and a length limit: retention drops the first segments as new ones roll.
    const queue = await newStream({ 'x-max-length-bytes': 20_000, 'x-stream-max-segment-size-bytes': 5_000 });
    const pad = 'x'.repeat(1_000);
    for (let i = 0; i < 10; i++)
      await publishRecords(
        url,
        queue,
        Array.from({ length: 10 }, (_, j) => ({ key: 'k', value: `${i * 10 + j} ${pad}` })),
      );
    const reader = await rabbitStreamSource({ url, queue }).open(queue, '0');
    try {
      await assert.rejects(pollUntil(reader, 1), (error: unknown) => {
        assert.ok(isEngineError(error, 'SOURCE_POSITION_INVALID'), String(error));
        assert.equal(error.details.expected, 1);
        assert.ok((error.details.first as number) > 1);
        return true;
      });
    } finally {
      await reader.close();
    }
  });
});
