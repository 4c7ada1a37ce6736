/**
 * Soak test of the HTTP server: produce (JSON and NDJSON, some with repeating Idempotency-Keys) and fetch
 * requests over loopback from a few concurrent clients, printing heap and RSS samples (after a forced
 * GC) as it goes.
 *   tsx scripts/server-soak.ts --minutes 5
 * test/server/server-memory.test.ts runs the same loop for 20 s and bounds the heap growth.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createEngine, startServer } from '../src/index.ts';

export interface MemorySample {
  seconds: number;
  heapUsedMB: number;
  rssMB: number;
  requests: number;
}

export interface LoopResult {
  requests: number;
  records: number;
  /** Answers other than 200, by status. */
  failures: Map<number, number>;
}

/** Forces a full GC (exposing it at runtime when the process was started without --expose-gc). */
export function forceGc(): void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
}

export function memorySample(started: number, requests: number): MemorySample {
  forceGc();
  const m = process.memoryUsage();
  return {
    seconds: Math.round((performance.now() - started) / 1000),
    heapUsedMB: Math.round((m.heapUsed / 2 ** 20) * 10) / 10,
    rssMB: Math.round((m.rss / 2 ** 20) * 10) / 10,
    requests,
  };
}

/**
 * Runs `clients` concurrent request loops against `address` until `durationMs` passes: each request is
 * a JSON produce of `recordsPerRequest` records to `topic` (every 7th NDJSON, every 10th with one of 50
 * Idempotency-Keys, so repeats replay), and every 5th a fetch of the latest records of partition 0.
 */
export async function produceLoop(
  address: string,
  token: string,
  topic: string,
  options: {
    durationMs: number;
    clients?: number;
    recordsPerRequest?: number;
    progress?: { requests: number };
  },
): Promise<LoopResult> {
  const result: LoopResult = { requests: 0, records: 0, failures: new Map() };
  const deadline = performance.now() + options.durationMs;
  const perRequest = options.recordsPerRequest ?? 10;
  const auth = { authorization: `Bearer ${token}` };
  let sequence = 0;
  const client = async (c: number): Promise<void> => {
    while (performance.now() < deadline) {
      const n = sequence++;
      let response: Response;
      if (n % 5 === 4) {
        response = await fetch(`${address}/api/topics/${topic}/partitions/0/records?limit=10`);
      } else {
        const records = Array.from({ length: perRequest }, (_, i) => ({
          key: `k${(n + i) % 97}`,
          value: { n, i, client: c, text: 'x'.repeat(64) },
          headers: { trace: `${n}-${i}` },
        }));
        const ndjson = n % 7 === 0;
        // Idempotency keys repeat with the same body: key j always carries request body j.
        const idempotent = n % 10 === 1;
        const body = idempotent
          ? JSON.stringify({ records: [{ key: `idem-${n % 50}`, value: { fixed: n % 50 } }] })
          : ndjson
            ? records.map((r) => JSON.stringify(r)).join('\n')
            : JSON.stringify({ records });
        response = await fetch(`${address}/api/topics/${topic}/records`, {
          method: 'POST',
          headers: {
            ...auth,
            'content-type': ndjson && !idempotent ? 'application/x-ndjson' : 'application/json',
            ...(idempotent ? { 'idempotency-key': `key-${n % 50}` } : {}),
          },
          body,
        });
        if (response.status === 200) result.records += idempotent ? 0 : perRequest;
      }
      await response.arrayBuffer();
      result.requests++;
      if (options.progress !== undefined) options.progress.requests = result.requests;
      if (response.status !== 200)
        result.failures.set(response.status, (result.failures.get(response.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: options.clients ?? 4 }, (_, c) => client(c)));
  return result;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--minutes');
  const minutes = at >= 0 ? Number(args[at + 1]) : 5;
  if (!(minutes > 0)) throw new Error('usage: tsx scripts/server-soak.ts --minutes <n>');
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-soak-'));
  const engine = await createEngine({ dataDir });
  const token = 'soak';
  const server = await startServer(engine, { token, limits: { requestsPerSecond: 1_000_000 } });
  try {
    await engine.log.createTopic('soak', {
      partitions: 4,
      retention: { bytes: 32 * 2 ** 20 },
      segmentBytes: 4 * 2 ** 20,
    });
    const started = performance.now();
    const progress = { requests: 0 };
    const print = (s: MemorySample): void => {
      process.stdout.write(
        `t=${s.seconds}s heapUsed=${s.heapUsedMB}MB rss=${s.rssMB}MB requests=${s.requests}\n`,
      );
    };
    print(memorySample(started, 0));
    const timer = setInterval(() => print(memorySample(started, progress.requests)), 10_000);
    const result = await produceLoop(server.address, token, 'soak', {
      durationMs: minutes * 60_000,
      progress,
    });
    clearInterval(timer);
    print(memorySample(started, result.requests));
    process.stdout.write(
      `requests=${result.requests} records=${result.records} failures=${JSON.stringify([...result.failures])}\n`,
    );
  } finally {
    await server.close();
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const script = process.argv[1];
if (script !== undefined && realpathSync(script) === realpathSync(import.meta.filename)) await main();
