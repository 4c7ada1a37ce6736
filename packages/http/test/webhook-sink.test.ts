import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isEngineError, type SinkRecord } from 'rivulet/connector';
import { sinkConformance } from 'rivulet/connector/conformance';
import { type WebhookSinkOptions, webhookSink } from '../src/index.ts';
import { backoffMs, retryAfterMs } from '../src/webhook-retry.ts';
import { webhookSinkHarness } from './webhook-harness.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

sinkConformance('webhook one record per request', webhookSinkHarness);

const context = { pipeline: 'p', name: 's', partitions: 2 };

/** Records seq from..from+count on partition 0 (offset = seq), JSON values. */
function records(from: number, count: number, partition = 0): SinkRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: null,
    value: Buffer.from(JSON.stringify({ seq: from + i })),
    timestamp: 0,
    headers: undefined,
    partition,
    offset: from + i,
    id: `p/s/${partition}/${from + i}`,
  }));
}

function seqs(values: readonly unknown[]): number[] {
  return values.map((v) => (v as { seq: number }).seq);
}

describe('webhookSink', () => {
  let receiver: WebhookReceiver;
  const sleeps: number[] = [];
  const sink = (options: Partial<WebhookSinkOptions> = {}) =>
    webhookSink({
      url: receiver.url,
      retry: { attempts: 4, minMs: 100, maxMs: 1_000 },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      ...options,
    });
  before(async () => {
    receiver = await WebhookReceiver.start();
  });
  after(() => receiver.stop());
  const reset = () => {
    receiver.clear();
    sleeps.length = 0;
  };

  test('options: bad ones are INVALID_ARGUMENT naming the option', () => {
    const rejects = (options: unknown, option: string) =>
      assert.throws(
        () => webhookSink(options as WebhookSinkOptions),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
      );
    rejects({ url: 'ftp://x' }, 'url');
    rejects({ url: 'not a url' }, 'url');
    rejects({ url: 'http://x', batch: { maxRecords: 0, format: 'ndjson' } }, 'batch.maxRecords');
    rejects({ url: 'http://x', batch: { maxRecords: 10, format: 'xml' } }, 'batch.format');
    rejects({ url: 'http://x', retry: { attempts: 0, minMs: 1, maxMs: 2 } }, 'retry.attempts');
    rejects({ url: 'http://x', retry: { attempts: 3, minMs: 10, maxMs: 2 } }, 'retry.maxMs');
    rejects({ url: 'http://x', timeoutMs: 0 }, 'timeoutMs');
    assert.equal(webhookSink({ url: 'http://x' }).guarantee, 'at-least-once');
    assert.equal(webhookSink({ url: 'http://x', receiverDedups: true }).guarantee, 'idempotent');
  });

  test('Idempotency-Key is the record id; a replay is dropped by the receiver (idempotent)', async () => {
    reset();
    const writer = await sink({ receiverDedups: true }).open(context);
    await writer.write(records(0, 5));
    await writer.close();
    const again = await sink({ receiverDedups: true }).open(context);
    await again.write(records(0, 8));
    await again.commit(new Map([[0, 8]]));
    assert.deepEqual(
      receiver.requests.map((r) => r.idempotencyKey),
      [...[0, 1, 2, 3, 4], ...[0, 1, 2, 3, 4, 5, 6, 7]].map((o) => `p/s/0/${o}`),
    );
    assert.deepEqual(seqs(receiver.values), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('5xx: retried with exponential backoff and jitter until it succeeds', async () => {
    reset();
    receiver.fail503 = 3;
    const writer = await sink().open(context);
    await writer.write(records(0, 2));
    assert.deepEqual(
      receiver.requests.map((r) => r.status),
      [503, 503, 503, 200, 200],
    );
    // random() = 0.5: half of the ceiling plus a quarter; ceilings 100, 200, 400.
    assert.deepEqual(sleeps, [75, 150, 300]);
    assert.deepEqual(seqs(receiver.values), [0, 1]);
  });

  test('429: waits as long as Retry-After says', async () => {
    reset();
    receiver.fail429 = 2;
    receiver.retryAfter = '7';
    const writer = await sink().open(context);
    await writer.write(records(0, 1));
    assert.deepEqual(sleeps, [7_000, 7_000]);
    assert.deepEqual(seqs(receiver.values), [0]);
  });

  test('attempts run out: a retryable CONNECTOR_FAILED (5xx) or CONNECTOR_UNAVAILABLE (no server)', async () => {
    reset();
    receiver.fail503 = 10;
    const writer = await sink().open(context);
    await assert.rejects(
      writer.write(records(0, 1)),
      (error: unknown) =>
        isEngineError(error, 'CONNECTOR_FAILED') && error.retryable && error.details.status === 503,
    );
    assert.equal(receiver.requests.length, 4, 'retry.attempts requests in all');
    const gone = await WebhookReceiver.start();
    await gone.stop();
    const unreachable = await sink({ url: gone.url }).open(context);
    await assert.rejects(
      unreachable.write(records(0, 1)),
      (error: unknown) => isEngineError(error, 'CONNECTOR_UNAVAILABLE') && error.retryable,
    );
  });

  test('another 4xx: INVALID_RECORD with the index, not retried; the rewrite skips what was delivered', async () => {
    reset();
    const writer = await sink().open(context);
    const batch = records(0, 6);
    const bad = { ...batch[3]!, value: Buffer.from('{ not json') };
    await assert.rejects(
      writer.write([...batch.slice(0, 3), bad, ...batch.slice(4)]),
      (error: unknown) =>
        isEngineError(error, 'INVALID_RECORD') && error.details.index === 3 && !error.retryable,
    );
    assert.equal(receiver.requests.length, 4, 'no retry of a 400');
    await writer.write([...batch.slice(0, 3), ...batch.slice(4)]);
    assert.deepEqual(seqs(receiver.values), [0, 1, 2, 4, 5]);
    assert.equal(receiver.requests.length, 6, 'records 0..2 were not sent again');
  });

  test('ndjson batches: one partition per request, aligned blocks, key <first id>-<last offset>', async () => {
    reset();
    const writer = await sink({ batch: { maxRecords: 4, format: 'ndjson' } }).open(context);
    assert.equal(
      webhookSink({ url: receiver.url, batch: { maxRecords: 4, format: 'ndjson' } }).guarantee,
      'at-least-once',
    );
    await writer.write([...records(2, 7, 0), ...records(0, 3, 1)]);
    assert.deepEqual(
      receiver.requests.map((r) => [r.idempotencyKey, r.contentType]),
      [
        ['p/s/0/2-3', 'application/x-ndjson'],
        ['p/s/0/4-7', 'application/x-ndjson'],
        ['p/s/0/8-8', 'application/x-ndjson'],
        ['p/s/1/0-2', 'application/x-ndjson'],
      ],
    );
    assert.deepEqual(seqs(receiver.values), [2, 3, 4, 5, 6, 7, 8, 0, 1, 2]);
  });

  test('json-array batches: a non-JSON value is refused before anything is sent', async () => {
    reset();
    const writer = await sink({ batch: { maxRecords: 10, format: 'json-array' } }).open(context);
    const batch = records(0, 5);
    await assert.rejects(
      writer.write([...batch.slice(0, 2), { ...batch[2]!, value: Buffer.from('nope') }, ...batch.slice(3)]),
      (error: unknown) => isEngineError(error, 'INVALID_RECORD') && error.details.index === 2,
    );
    assert.equal(receiver.requests.length, 0);
    await writer.write([...batch.slice(0, 2), ...batch.slice(3)]);
    assert.deepEqual(
      receiver.requests.map((r) => r.body),
      ['[{"seq":0},{"seq":1},{"seq":3},{"seq":4}]'],
    );
  });

  test('backoff and Retry-After arithmetic', () => {
    const retry = { attempts: 10, minMs: 100, maxMs: 1_000 };
    assert.equal(
      backoffMs(1, retry, () => 0),
      50,
    );
    assert.equal(
      backoffMs(1, retry, () => 1),
      100,
    );
    assert.equal(
      backoffMs(5, retry, () => 1),
      1_000,
      'capped at maxMs',
    );
    assert.equal(retryAfterMs('3', 0), 3_000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(retryAfterMs('soon', 0), undefined);
    assert.equal(retryAfterMs(null, 0), undefined);
  });
});
