import { connectorPipelineConformance } from 'rivulet/testing';
import { webhookSinkHarness } from './webhook-harness.ts';
import { webSocketSourceHarness } from './websocket-harness.ts';

// The WebSocket source (resuming server) and the webhook sink driven by real pipeline runs on the embedded log.
connectorPipelineConformance('http', { source: webSocketSourceHarness, sink: webhookSinkHarness });
