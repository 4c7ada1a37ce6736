/** @rivulet/http: a webhook sink (POST with Idempotency-Key and retries) and a WebSocket tail source. */
export type { RetryOptions } from './webhook-retry.ts';
export { type WebhookSinkOptions, webhookSink } from './webhook-sink.ts';
export { type WebSocketSourceOptions, webSocketSource } from './websocket-source.ts';
