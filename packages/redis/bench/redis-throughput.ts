import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SinkRecord } from 'rivulet/connector';
import { redisStreamSink } from '../src/redis-stream-sink.ts';
import { redisStreamSource } from '../src/redis-stream-source.ts';

const URL = 'redis://127.0.0.1:6379';
const BATCH = 1000;
const VALUE = Buffer.alloc(1024, 0x61);

/**
 * Records per second through the connector versus ioredis used bare in the same run, 1 KiB values,
 * against the shared local Redis: source = open/poll(1000) loop vs an XREAD COUNT 1000 loop; sink =
 * write + commit every 1000 records vs MULTI + 1000 pipelined XADDs + EXEC. Each measurement runs three
 * times, alternating, and keeps the best run (the machine is shared); every stream is deleted afterwards.
 */
export async function connectorThroughput(options: {
  records: number;
}): Promise<Array<{ case: string; connectorPerSec: number; barePerSec: number }>> {
  const n = options.records;
  const client = new Redis(URL);
  const streams: string[] = [];
  const fresh = () => {
    const name = `rivulet-bench:${randomUUID()}`;
    streams.push(name);
    return name;
  };
  try {
    const source = await fill(client, fresh(), n);
    let sourceConnector = 0;
    let sourceBare = 0;
    let sinkConnector = 0;
    let sinkBare = 0;
    for (let round = 0; round < 3; round++) {
      sourceBare = Math.max(sourceBare, await bareRead(client, source, n));
      sourceConnector = Math.max(sourceConnector, await connectorRead(source, n));
      const bareStream = fresh();
      sinkBare = Math.max(sinkBare, await bareWrite(client, bareStream, n));
      await client.del(bareStream);
      const sinkStream = fresh();
      sinkConnector = Math.max(sinkConnector, await connectorWrite(sinkStream, n));
      await client.del(sinkStream, `rivulet:sink:bench:${sinkStream}`);
    }
    return [
      { case: 'source-xread-1KiB', connectorPerSec: sourceConnector, barePerSec: sourceBare },
      { case: 'sink-multi-xadd-1KiB', connectorPerSec: sinkConnector, barePerSec: sinkBare },
    ];
  } finally {
    await client.del(...streams, ...streams.map((s) => `rivulet:sink:bench:${s}`));
    client.disconnect();
  }
}

async function fill(client: Redis, stream: string, n: number): Promise<string> {
  for (let i = 0; i < n; i += BATCH) {
    const pipeline = client.pipeline();
    for (let j = i; j < Math.min(n, i + BATCH); j++)
      pipeline.xadd(stream, '*', 'value', VALUE, 'key', `k${j % 100}`, 'ts', String(1_700_000_000_000 + j));
    await pipeline.exec();
  }
  return stream;
}

function perSec(n: number, started: bigint): number {
  return Math.round(n / (Number(process.hrtime.bigint() - started) / 1e9));
}

async function bareRead(client: Redis, stream: string, n: number): Promise<number> {
  const started = process.hrtime.bigint();
  let cursor = '0-0';
  let read = 0;
  while (read < n) {
    const reply = await client.xreadBuffer('COUNT', BATCH, 'STREAMS', stream, cursor);
    const entries = reply?.[0]?.[1] ?? [];
    read += entries.length;
    if (entries.length > 0) cursor = entries[entries.length - 1]![0].toString();
  }
  return perSec(n, started);
}

async function connectorRead(stream: string, n: number): Promise<number> {
  const reader = await redisStreamSource({ url: URL, stream, count: BATCH }).open(stream, undefined);
  try {
    const started = process.hrtime.bigint();
    let read = 0;
    while (read < n) {
      const batch = await reader.poll(BATCH, 100);
      read += batch.records.length;
      await reader.commit(batch.position);
    }
    return perSec(n, started);
  } finally {
    await reader.close();
  }
}

function sinkRecords(from: number, count: number): SinkRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const offset = from + i;
    return {
      key: Buffer.from(`k${offset % 100}`),
      value: VALUE,
      timestamp: 1_700_000_000_000 + offset,
      headers: undefined,
      partition: 0,
      offset,
      id: `bench/out/0/${offset}`,
    };
  });
}

async function bareWrite(client: Redis, stream: string, n: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i += BATCH) {
    const multi = client.multi();
    for (const r of sinkRecords(i, Math.min(BATCH, n - i)))
      multi.xadd(stream, '*', 'value', r.value as Buffer, 'key', r.key as Buffer, 'ts', String(r.timestamp));
    await multi.exec();
  }
  return perSec(n, started);
}

async function connectorWrite(stream: string, n: number): Promise<number> {
  const writer = await redisStreamSink({ url: URL, stream }).open({
    pipeline: 'bench',
    name: stream,
    partitions: 1,
  });
  try {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i += BATCH) {
      const records = sinkRecords(i, Math.min(BATCH, n - i));
      await writer.write(records);
      await writer.commit(new Map([[0, i + records.length]]));
    }
    return perSec(n, started);
  } finally {
    await writer.close();
  }
}
