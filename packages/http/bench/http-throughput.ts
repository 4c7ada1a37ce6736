import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SinkRecord } from 'rivulet/connector';
import WebSocket from 'ws';
import { webhookSink, webSocketSource } from '../src/index.ts';
import { LogServerProcess, logPosition } from '../test/websocket-harness.ts';

const VALUE_BYTES = 1024;
const BATCH = 1000;

function jsonValue(seq: number): string {
  const head = `{"seq":${seq},"pad":"`;
  return `${head}${'x'.repeat(VALUE_BYTES - head.length - 2)}"}`;
}

/** A receiver that reads each body and answers 200 (in this process, for both cases alike). */
async function startReceiver(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    request.on('data', () => undefined);
    request.on('end', () => response.end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

/** The webhook sink, ndjson batches of 1000: write 1000 and commit, repeat. */
async function webhookConnector(url: string, records: number): Promise<number> {
  const all: SinkRecord[] = Array.from({ length: records }, (_, i) => ({
    key: null,
    value: Buffer.from(jsonValue(i)),
    timestamp: 0,
    headers: undefined,
    partition: 0,
    offset: i,
    id: `bench/sink/0/${i}`,
  }));
  const writer = await webhookSink({ url, batch: { maxRecords: BATCH, format: 'ndjson' } }).open({
    pipeline: 'bench',
    name: 'sink',
    partitions: 1,
  });
  const started = performance.now();
  for (let i = 0; i < records; i += BATCH) {
    await writer.write(all.slice(i, i + BATCH));
    await writer.commit(new Map([[0, Math.min(records, i + BATCH)]]));
  }
  const elapsed = performance.now() - started;
  await writer.close();
  return (records / elapsed) * 1000;
}

/** Bare fetch: POST the same ndjson batches with an Idempotency-Key, one after another. */
async function webhookBare(url: string, records: number): Promise<number> {
  const values = Array.from({ length: records }, (_, i) => Buffer.from(jsonValue(i)));
  const started = performance.now();
  for (let i = 0; i < records; i += BATCH) {
    const body = Buffer.concat(values.slice(i, i + BATCH).flatMap((v) => [v, Buffer.from('\n')]));
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        'idempotency-key': `bench/sink/0/${i}-${i + BATCH - 1}`,
      },
      body,
    });
    await response.text();
  }
  return (records / (performance.now() - started)) * 1000;
}

async function preloadedLog(records: number): Promise<LogServerProcess> {
  const server = await LogServerProcess.start();
  for (let i = 0; i < records; i += 5000)
    await server.append(Array.from({ length: Math.min(5000, records - i) }, (_, j) => jsonValue(i + j)));
  return server;
}

/** The WebSocket source, resuming by position: open, poll(1000) and commit until all came. */
async function webSocketConnector(server: LogServerProcess, records: number): Promise<number> {
  const started = performance.now();
  const reader = await webSocketSource({ url: (p) => server.tailUrl(p), positionOf: logPosition }).open(
    'websocket',
    undefined,
  );
  let received = 0;
  while (received < records) {
    const batch = await reader.poll(BATCH, 1_000);
    if (batch.records.length === 0) throw new Error(`websocket source stalled at ${received}/${records}`);
    received += batch.records.length;
    await reader.commit(batch.position);
  }
  const elapsed = performance.now() - started;
  await reader.close();
  return (records / elapsed) * 1000;
}

/** A bare ws client counting messages from the same tail. */
async function webSocketBare(server: LogServerProcess, records: number): Promise<number> {
  const started = performance.now();
  const socket = new WebSocket(server.tailUrl(undefined));
  await new Promise<void>((resolve) => {
    let received = 0;
    socket.on('message', () => {
      if (++received === records) resolve();
    });
  });
  const elapsed = performance.now() - started;
  socket.terminate();
  return (records / elapsed) * 1000;
}

/**
 * Records/s through the webhook sink and the WebSocket source versus bare fetch / bare ws in the same
 * run, 1 KiB JSON values. The receiver runs in this process; the log server is a child process
 * preloaded with the records (the source cases read the same backlog from the start).
 */
export async function connectorThroughput(options: {
  records: number;
}): Promise<Array<{ case: string; connectorPerSec: number; barePerSec: number }>> {
  const receiver = await startReceiver();
  const log = await preloadedLog(options.records);
  try {
    const bareSink = await webhookBare(receiver.url, options.records);
    const connectorSink = await webhookConnector(receiver.url, options.records);
    const bareSource = await webSocketBare(log, options.records);
    const connectorSource = await webSocketConnector(log, options.records);
    return [
      { case: 'websocket source (in)', connectorPerSec: connectorSource, barePerSec: bareSource },
      { case: 'webhook sink ndjson 1000 (out)', connectorPerSec: connectorSink, barePerSec: bareSink },
    ];
  } finally {
    receiver.server.close();
    await log.stop();
  }
}
