import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { isEngineError, type SourceReader } from 'rivulet/connector';
import { sourceConformance } from 'rivulet/connector/conformance';
import { freePort } from 'rivulet/testing';
import { WebSocketServer } from 'ws';
import { type WebSocketSourceOptions, webSocketSource } from '../src/index.ts';
import { LogServerProcess, logPosition, webSocketSourceHarness } from './websocket-harness.ts';

sourceConformance('websocket tail resuming with ?from', webSocketSourceHarness);

async function pollValues(reader: SourceReader, count: number, ms = 10_000): Promise<string[]> {
  const values: string[] = [];
  const deadline = Date.now() + ms;
  while (values.length < count && Date.now() < deadline) {
    const batch = await reader.poll(count - values.length, 100);
    for (const r of batch.records) values.push(Buffer.from(r.value!).toString('utf8'));
  }
  return values;
}

describe('webSocketSource', () => {
  test('options: bad ones are INVALID_ARGUMENT naming the option; features follow positionOf', () => {
    const rejects = (options: unknown, option: string) =>
      assert.throws(
        () => webSocketSource(options as WebSocketSourceOptions),
        (error: unknown) => isEngineError(error, 'INVALID_ARGUMENT') && error.details.option === option,
      );
    rejects({ url: 'http://x' }, 'url');
    rejects({ url: 'ws://x', parse: 'xml' }, 'parse');
    rejects({ url: 'ws://x', reconnect: { minMs: 0, maxMs: 10 } }, 'reconnect.minMs');
    rejects({ url: 'ws://x', reconnect: { minMs: 100, maxMs: 10 } }, 'reconnect.maxMs');
    rejects({ url: 'ws://x', maxBuffered: 0 }, 'maxBuffered');
    assert.deepEqual(webSocketSource({ url: 'ws://x' }).features, {
      ordered: true,
      persistent: false,
      positioned: false,
      replay: 'at-most-once',
    });
    assert.equal(
      webSocketSource({ url: () => 'ws://x', positionOf: () => '1' }).features.replay,
      'exactly-once',
      'a URL function and positionOf: the server resumes',
    );
  });

  test('without resume: at-most-once; after a server restart the reader reconnects to the plain URL and goes on', async () => {
    const server = await LogServerProcess.start();
    const source = webSocketSource({
      url: `ws://127.0.0.1:${server.port}/tail`,
      reconnect: { minMs: 50, maxMs: 200 },
    });
    const reader = await source.open('websocket', undefined);
    try {
      await server.append(['{"seq":1}', '{"seq":2}']);
      assert.equal((await pollValues(reader, 2)).length, 2);
      await server.restart();
      await server.append(['{"seq":3}']);
      const after = await pollValues(reader, 3);
      // No position: the reconnect starts from the server's default (the whole backlog) again, so the
      // reader sees 1 and 2 twice: what 'at-most-once' without positions means for this server.
      assert.deepEqual(
        after.map((v) => JSON.parse(v).seq),
        [1, 2, 3],
      );
    } finally {
      await reader.close();
      await server.stop();
    }
  });

  test('records: value = the message, rivulet.source.url header, parse lines splits a message', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (socket) => {
      socket.send('a\nb\n\nc');
      socket.send(Buffer.from([1, 2, 3]), { binary: true });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/feed`;
    const reader = await webSocketSource({ url, parse: 'lines' }).open('websocket', undefined);
    try {
      const batch = await reader.poll(10, 5_000);
      const more = batch.records.length < 4 ? (await reader.poll(10, 5_000)).records : [];
      const records = [...batch.records, ...more];
      assert.deepEqual(
        records.map((r) => [...r.value!]),
        [[0x61], [0x62], [0x63], [1, 2, 3]],
      );
      assert.equal(Buffer.from(records[0]!.headers!.get('rivulet.source.url')!).toString(), url);
      assert.equal(records[0]!.key, null);
    } finally {
      await reader.close();
      wss.close();
      http.close();
    }
  });

  test('open: no server is a retryable CONNECTOR_UNAVAILABLE; a 4xx upgrade answer is CONNECTOR_FAILED, not retryable', async () => {
    const port = await freePort();
    await assert.rejects(
      webSocketSource({ url: `ws://127.0.0.1:${port}/x` }).open('websocket', undefined),
      (error: unknown) => isEngineError(error, 'CONNECTOR_UNAVAILABLE') && error.retryable,
    );
    const server = await LogServerProcess.start();
    try {
      await assert.rejects(
        webSocketSource({ url: `ws://127.0.0.1:${server.port}/nothing-here` }).open('websocket', undefined),
        (error: unknown) => isEngineError(error, 'CONNECTOR_FAILED') && !error.retryable,
      );
    } finally {
      await server.stop();
    }
  });

  test('positionOf reads the stamped position', () => {
    assert.equal(logPosition(Buffer.from('{"n":1234,"seq":5}')), '1234');
  });
});
