import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { isEngineError, type SinkRecord } from 'rivulet/connector';
import { rabbitQueueSource, rabbitSink } from '../src/index.ts';
import { readQueue, uniqueName, sharedRabbitUrl as url, withChannel } from './rabbitmq-harness.ts';

const context = { pipeline: 'p', name: 'out', partitions: 1 };
const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');

const created: string[] = [];
after(async () => {
  await withChannel(url, async (channel) => {
    for (const name of created) await channel.deleteQueue(name);
  });
});

async function newQueue(): Promise<string> {
  const queue = uniqueName('sink');
  created.push(queue);
  await withChannel(url, (channel) => channel.assertQueue(queue, { durable: true }));
  return queue;
}

function record(offset: number, over: Partial<SinkRecord> = {}): SinkRecord {
  return {
    key: Buffer.from(`k${offset}`),
    value: Buffer.from(JSON.stringify({ seq: offset })),
    timestamp: 1_700_000_000_000 + offset,
    headers: new Map([['trace', Buffer.from(`t${offset}`)]]),
    partition: 0,
    offset,
    id: `p/out/0/${offset}`,
    ...over,
  };
}

describe('rabbitSink', () => {
  test('bad options fail fast with INVALID_ARGUMENT naming the option', () => {
    const cases: Array<[unknown, string]> = [
      [{ queue: 'q' }, 'url'],
      [{ url }, 'routingKey'],
      [{ url, queue: 'q', routingKey: 'r' }, 'queue'],
      [{ url, queue: 'q', exchange: 'x' }, 'queue'],
      [{ url, routingKey: 7 }, 'routingKey'],
      [{ url, queue: 'q', maxValueBytes: 0 }, 'maxValueBytes'],
      [{ url, queue: 'q', persistent: 'yes' }, 'persistent'],
      [{ url, queue: 'q', exchange: 3 }, 'exchange'],
      [{ url, queue: 'q', confirm: true }, 'confirm'],
    ];
    for (const [options, option] of cases)
      assert.throws(
        () => rabbitSink(options as never),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
        `expected INVALID_ARGUMENT for ${option}: ${JSON.stringify(options)}`,
      );
  });

  test('messages carry message-id = record id, key, times, headers, persistence; a queue source reads them back', async () => {
    const queue = await newQueue();
    const binaryKey = Buffer.from([0xff, 0x00, 0x01]);
    const writer = await rabbitSink({ url, queue }).open(context);
    try {
      await writer.write([
        record(0),
        record(1, { key: binaryKey, headers: undefined }),
        record(2, { value: null }),
      ]);
      await writer.commit(new Map([[0, 3]]));
    } finally {
      await writer.close();
    }
    const messages = await readQueue(url, queue);
    assert.deepEqual(
      messages.map((m) => m.properties.messageId),
      ['p/out/0/0', 'p/out/0/1', 'p/out/0/2'],
    );
    const [m0, m1, m2] = messages;
    assert.equal(m0!.content.toString(), '{"seq":0}');
    assert.equal(m0!.properties.deliveryMode, 2, 'persistent');
    assert.equal(m0!.properties.timestamp, 1_700_000_000, 'timestamp property in seconds');
    assert.equal(m0!.properties.headers?.timestamp_in_ms, 1_700_000_000_000);
    assert.equal(m0!.properties.headers?.['rivulet-key'], 'k0');
    assert.equal(m0!.properties.headers?.trace, 't0');
    assert.deepEqual(m1!.properties.headers?.['rivulet-key'], binaryKey, 'non-UTF-8 key as a byte array');
    assert.equal(m2!.content.length, 0, 'a null value is an empty body');

    const reader = await rabbitQueueSource({ url, queue }).open(queue, undefined);
    try {
      const got = [];
      for (const deadline = Date.now() + 5_000; got.length < 3 && Date.now() < deadline; )
        got.push(...(await reader.poll(10, 50)).records);
      assert.equal(got.length, 3);
      assert.equal(text(got[0]!.key!), 'k0');
      assert.deepEqual(Buffer.from(got[1]!.key!), binaryKey);
      assert.equal(got[0]!.timestamp, 1_700_000_000_000);
      assert.equal(got[1]!.timestamp, 1_700_000_000_001, 'millisecond time survives the trip');
      assert.equal(text(got[0]!.headers!.get('trace')), 't0');
      assert.equal(text(got[0]!.headers!.get('rivulet.source.message-id')), 'p/out/0/0');
    } finally {
      await reader.close();
    }
  });

  test('oversize values are refused before anything of the call is published', async () => {
    const queue = await newQueue();
    const writer = await rabbitSink({ url, queue, maxValueBytes: 100 }).open(context);
    try {
      const batch = [record(0), record(1), record(2, { value: Buffer.alloc(101) })];
      await assert.rejects(writer.write(batch), (error: unknown) => {
        assert.ok(isEngineError(error, 'INVALID_RECORD'));
        assert.equal(error.details.index, 2);
        return true;
      });
      await writer.commit(new Map());
      assert.equal((await readQueue(url, queue)).length, 0, 'nothing of the refused call was published');
    } finally {
      await writer.close();
    }
  });

  test('a missing queue or exchange fails open; unroutable records fail commit (not retryable)', async () => {
    const missing = uniqueName('missing');
    await assert.rejects(
      rabbitSink({ url, queue: missing }).open(context),
      (error: unknown) => isEngineError(error, 'CONNECTOR_FAILED') && !error.retryable,
    );
    await assert.rejects(
      rabbitSink({ url, exchange: missing, routingKey: 'r' }).open(context),
      (error: unknown) => isEngineError(error, 'CONNECTOR_FAILED') && !error.retryable,
    );
    // The default exchange with a routing key no queue has: the broker returns the mandatory message.
    const writer = await rabbitSink({ url, routingKey: missing }).open(context);
    try {
      await writer.write([record(0)]);
      await assert.rejects(writer.commit(new Map([[0, 1]])), (error: unknown) => {
        assert.ok(isEngineError(error, 'CONNECTOR_FAILED'), String(error));
        assert.equal(error.retryable, false);
        assert.equal(error.details.returned, 1);
        return true;
      });
    } finally {
      await writer.close();
    }
  });

  test('publishing through an exchange with a routing key reaches the bound queue', async () => {
    const queue = await newQueue();
    const exchange = uniqueName('ex');
    await withChannel(url, async (channel) => {
      await channel.assertExchange(exchange, 'topic', { durable: false });
      await channel.bindQueue(queue, exchange, 'orders.*');
    });
    try {
      const writer = await rabbitSink({ url, exchange, routingKey: 'orders.eu', persistent: false }).open(
        context,
      );
      try {
        await writer.write([record(0), record(1)]);
        await writer.commit(new Map([[0, 2]]));
      } finally {
        await writer.close();
      }
      const messages = await readQueue(url, queue);
      assert.deepEqual(
        messages.map((m) => [m.fields.routingKey, m.properties.deliveryMode]),
        [
          ['orders.eu', 1],
          ['orders.eu', 1],
        ],
      );
    } finally {
      await withChannel(url, (channel) => channel.deleteExchange(exchange));
    }
  });
});
