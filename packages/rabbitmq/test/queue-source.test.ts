import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { isEngineError, type SourceReader } from 'rivulet/connector';
import { freePort } from 'rivulet/testing';
import { rabbitQueueSource } from '../src/index.ts';
import {
  publishRecords,
  readQueue,
  uniqueName,
  sharedRabbitUrl as url,
  withChannel,
} from './rabbitmq-harness.ts';

const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');

const created: string[] = [];
after(async () => {
  await withChannel(url, async (channel) => {
    for (const name of created) await channel.deleteQueue(name);
  });
});

async function newQueue(prefix: string, args: Record<string, unknown> = {}): Promise<string> {
  const queue = uniqueName(prefix);
  created.push(queue);
  await withChannel(url, (channel) => channel.assertQueue(queue, { durable: true, arguments: args }));
  return queue;
}

async function pollUntil(reader: SourceReader, count: number, max = 100, ms = 10_000) {
  const records = [];
  let position = '';
  const deadline = Date.now() + ms;
  while (records.length < count && Date.now() < deadline) {
    const batch = await reader.poll(max, 50);
    records.push(...batch.records);
    position = batch.position;
  }
  return { records, position };
}

/** Ready (not delivered) messages in `queue`, waited for until it is at most `want` or `ms` pass. */
async function readyCount(queue: string, want: number, ms = 5_000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { messageCount } = await withChannel(url, (channel) => channel.checkQueue(queue));
    if (messageCount <= want || Date.now() > deadline) return messageCount;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('rabbitQueueSource', () => {
  test('bad options fail fast with INVALID_ARGUMENT naming the option', () => {
    const cases: Array<[unknown, string]> = [
      [{ queue: 'q' }, 'url'],
      [{ url: 'http://127.0.0.1', queue: 'q' }, 'url'],
      [{ url, queue: '' }, 'queue'],
      [{ url, queue: 'q', prefetch: 0 }, 'prefetch'],
      [{ url, queue: 'q', prefetch: 65_536 }, 'prefetch'],
      [{ url, queue: 'q', prefetch: 1.5 }, 'prefetch'],
      [{ url, queue: 'q', prefech: 10 }, 'prefech'],
      [{ url, queue: 'q', declare: { durable: 'yes' } }, 'declare.durable'],
      [{ url, queue: 'q', declare: { deadLetterExchange: 1 } }, 'declare.deadLetterExchange'],
    ];
    for (const [options, option] of cases)
      assert.throws(
        () => rabbitQueueSource(options as never),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
        `expected INVALID_ARGUMENT for ${option}: ${JSON.stringify(options)}`,
      );
  });

  test('malformed positions: SOURCE_POSITION_INVALID at open and commit', async () => {
    const queue = await newQueue('pos');
    const source = rabbitQueueSource({ url, queue });
    for (const position of ['abc', '-1', '1.5', '01', ' 3', '99999999999999999999'])
      await assert.rejects(source.open(queue, position), (error: unknown) =>
        isEngineError(error, 'SOURCE_POSITION_INVALID'),
      );
    const reader = await source.open(queue, '7');
    try {
      assert.equal((await reader.poll(10, 50)).position, '7', 'the count goes on from the position');
      await assert.rejects(reader.commit('8'), (error: unknown) =>
        isEngineError(error, 'SOURCE_POSITION_INVALID'),
      );
      await assert.rejects(reader.commit('x'), (error: unknown) =>
        isEngineError(error, 'SOURCE_POSITION_INVALID'),
      );
    } finally {
      await reader.close();
    }
  });

  test('a missing queue is CONNECTOR_FAILED (not retryable); an unreachable server CONNECTOR_UNAVAILABLE', async () => {
    const missing = uniqueName('missing');
    await assert.rejects(
      rabbitQueueSource({ url, queue: missing }).open(missing, undefined),
      (error: unknown) => isEngineError(error, 'CONNECTOR_FAILED') && !error.retryable,
    );
    const port = await freePort();
    await assert.rejects(
      rabbitQueueSource({ url: `amqp://guest:guest@127.0.0.1:${port}`, queue: 'q' }).open('q', undefined),
      (error: unknown) => isEngineError(error, 'CONNECTOR_UNAVAILABLE') && error.retryable,
    );
  });

  test('records carry key, time, AMQP headers and provenance; redelivered after a close without commit', async () => {
    const queue = await newQueue('prov');
    await publishRecords(url, queue, [{ key: 'k1', value: '{"seq":0}' }], {
      messageId: 'm-0',
      timestamp: 1_700_000_000,
      headers: { color: 'blue', count: 42, flag: true },
    });
    await publishRecords(url, queue, [{ key: 'k2', value: '{"seq":1}' }], {
      headers: { timestamp_in_ms: 1_700_000_000_123 },
    });
    const source = rabbitQueueSource({ url, queue });
    const first = await source.open(queue, undefined);
    const { records, position } = await pollUntil(first, 2);
    await first.close(); // no commit
    assert.equal(position, '2');
    assert.equal(records.length, 2);
    const [a, b] = records;
    assert.equal(text(a!.value!), '{"seq":0}');
    assert.equal(text(a!.key!), 'k1');
    assert.equal(a!.timestamp, 1_700_000_000_000, 'the timestamp property, seconds to ms');
    assert.equal(b!.timestamp, 1_700_000_000_123, 'timestamp_in_ms wins');
    const h = a!.headers!;
    assert.equal(text(h.get('rivulet.source.queue')), queue);
    assert.equal(text(h.get('rivulet.source.delivery-tag')), '1');
    assert.equal(text(h.get('rivulet.source.redelivered')), 'false');
    assert.equal(text(h.get('rivulet.source.message-id')), 'm-0');
    assert.equal(text(h.get('color')), 'blue');
    assert.equal(text(h.get('count')), '42');
    assert.equal(text(h.get('flag')), 'true');
    assert.equal(text(b!.headers!.get('rivulet.source.delivery-tag')), '2');

    const second = await source.open(queue, position);
    try {
      const again = await pollUntil(second, 2);
      assert.deepEqual(
        again.records.map((r) => text(r.value!)),
        ['{"seq":0}', '{"seq":1}'],
      );
      assert.deepEqual(
        again.records.map((r) => text(r.headers!.get('rivulet.source.redelivered'))),
        ['true', 'true'],
      );
      assert.equal(again.position, '4', 'positions only grow across readers');
      await second.commit(again.position);
    } finally {
      await second.close();
    }
    assert.equal(await readyCount(queue, 0), 0, 'committed deliveries are acknowledged');
  });

  test('read-ahead: the broker holds back all but `prefetch` deliveries, however many are uncommitted', async () => {
    const queue = await newQueue('prefetch');
    await publishRecords(
      url,
      queue,
      Array.from({ length: 100 }, (_, i) => ({ key: 'k', value: String(i) })),
    );
    const reader = await rabbitQueueSource({ url, queue, prefetch: 10 }).open(queue, undefined);
    try {
      assert.equal(await readyCount(queue, 90), 90, '10 delivered ahead of any poll');
      await new Promise((resolve) => setTimeout(resolve, 200)); // give an overrun the chance to show
      assert.equal(await readyCount(queue, 0, 0), 90, 'and no more');
      const got: number[] = [];
      while (got.length < 30) {
        const batch = await reader.poll(10, 5_000);
        got.push(...batch.records.map((r) => Number(text(r.value!))));
      }
      // All handed over are uncommitted, yet 5 to 10 (prefetch/2 to prefetch) more come ahead: the
      // limit rose with what the engine holds, and the read-ahead stays within prefetch.
      const ready = await readyCount(queue, 100 - got.length - 5);
      assert.ok(ready <= 100 - got.length - 5, `${100 - got.length - ready} ahead, fewer than 5`);
      await new Promise((resolve) => setTimeout(resolve, 200)); // give an overrun the chance to show
      const later = await readyCount(queue, 0, 0);
      assert.ok(later >= 100 - got.length - 10, `${100 - got.length - later} ahead, more than 10`);
      const rest = await pollUntil(reader, 100 - got.length);
      got.push(...rest.records.map((r) => Number(text(r.value!))));
      assert.deepEqual(
        got,
        Array.from({ length: 100 }, (_, i) => i),
        'all 100 in order without a commit',
      );
      await reader.commit(rest.position);
    } finally {
      await reader.close();
    }
  });

  test('declare.deadLetterExchange: a message another consumer rejects goes to the dead-letter queue', async () => {
    const queue = uniqueName('dlx-src');
    const deadQueue = await newQueue('dlx-dead');
    const exchange = uniqueName('dlx-ex');
    created.push(queue);
    await withChannel(url, async (channel) => {
      await channel.assertExchange(exchange, 'direct', { durable: false, autoDelete: false });
      await channel.bindQueue(deadQueue, exchange, 'dead');
    });
    try {
      // Opening the source declares the queue with the dead-letter arguments.
      const source = rabbitQueueSource({
        url,
        queue,
        declare: { durable: true, deadLetterExchange: exchange, deadLetterRoutingKey: 'dead' },
      });
      const reader = await source.open(queue, undefined);
      await reader.close();
      await publishRecords(url, queue, [{ key: 'k', value: 'poison' }]);
      // ANOTHER consumer takes it and rejects it without requeueing.
      await withChannel(url, async (channel) => {
        let message: Awaited<ReturnType<typeof channel.get>> = false;
        for (const deadline = Date.now() + 5_000; message === false && Date.now() < deadline; )
          message = await channel.get(queue, { noAck: false });
        assert.ok(message !== false, 'the message reached the declared queue');
        channel.nack(message, false, false);
        await channel.checkQueue(queue); // a round trip: the nack was processed
      });
      let dead: Awaited<ReturnType<typeof readQueue>> = [];
      for (const deadline = Date.now() + 5_000; dead.length === 0 && Date.now() < deadline; )
        dead = await readQueue(url, deadQueue);
      assert.equal(dead.length, 1);
      assert.equal(dead[0]!.content.toString(), 'poison');
      const deaths = dead[0]!.properties.headers?.['x-death'];
      assert.ok(deaths !== undefined, 'an x-death header');
      const death = deaths[0]!;
      assert.equal(death.queue, queue);
      assert.equal(death.reason, 'rejected');
      // Declaring again with other arguments is refused, not silently accepted.
      await assert.rejects(
        rabbitQueueSource({ url, queue, declare: { durable: true } }).open(queue, undefined),
        (error: unknown) => isEngineError(error, 'CONNECTOR_FAILED') && !error.retryable,
      );
      // The dead-letter queue reads like any queue, x-death kept as JSON text.
      const deadReader = await rabbitQueueSource({ url, queue: deadQueue }).open(deadQueue, undefined);
      try {
        const { records } = await pollUntil(deadReader, 1);
        assert.equal(text(records[0]!.value!), 'poison');
        assert.match(text(records[0]!.headers!.get('x-death'))!, /"reason":"rejected"/);
      } finally {
        await deadReader.close();
      }
    } finally {
      await withChannel(url, (channel) => channel.deleteExchange(exchange));
    }
  });
});
