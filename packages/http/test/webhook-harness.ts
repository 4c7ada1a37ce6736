import type { SinkFixture, SinkHarness } from 'rivulet/connector/conformance';
import { webhookSink } from '../src/index.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

/**
 * The webhook sink, one record per request, against a WebhookReceiver that dedups by Idempotency-Key
 * (so 'idempotent') and refuses non-JSON bodies with 400 (so 'structured': INVALID_RECORD). Restarting
 * closes the receiver and every connection and listens again on the same port.
 */
export const webhookSinkHarness: SinkHarness = {
  guarantee: 'idempotent',
  upsert: false,
  ordered: true,
  structured: true,
  restartable: true,
  async create(): Promise<SinkFixture> {
    const receiver = await WebhookReceiver.start();
    return {
      sink: webhookSink({
        url: receiver.url,
        receiverDedups: true,
        contentType: 'application/json',
        retry: { attempts: 20, minMs: 20, maxMs: 200 },
        timeoutMs: 5_000,
      }),
      readAll: async () =>
        receiver.values.map((value) => ({ key: null, value: value as Record<string, unknown> })),
      restartServer: () => receiver.restart(),
      close: () => receiver.stop(),
    };
  },
};
