import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  decide,
  type OrderT,
  OUT_OF_ORDER,
  PAYMENT_WINDOW,
  type PaymentT,
} from '../../../../examples/s3-stock-manager/pipeline.ts';
import { createLog, type Log, partitionForKey } from '../../src/index.ts';
import { codecFor } from '../../src/runtime/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * S3 across SIGKILL/restart cycles: a stock table (filled first), then orders and payments in chunks of
 * event time, each chunk followed by a run of the example pipeline (in a child process, exactly-once,
 * 50 ms commit interval) killed at a random moment; a last run drains everything, after flush records
 * that move every watermark past the data. The committed 'stock-decisions' must hold exactly one
 * decision per order (none made twice, none lost), each the plain rule applied to the order and its
 * SKU's stock level; 'unpaid' exactly the orders with no payment within 15 minutes either side, once
 * each; nothing late.
 */
const PARTITIONS = 2;
/** The encoding of table values in their store and changelog. */
const structured = codecFor({ kind: 'structured' }, { pipeline: 's3', nodes: [], functions: new Map() });
const decodeStructured = (bytes: Uint8Array): unknown => structured.decode(bytes);
const ORDERS = Number(process.env.RIVULET_S3_ORDERS ?? 4000);
const CYCLES = Number(process.env.RIVULET_S3_CYCLES ?? 8);
const child = join(import.meta.dirname, 'fixtures', 's3-child.ts');

function start(
  dataDir: string,
  drain: boolean,
): { child: ChildProcess; started: Promise<void>; exited: Promise<number | null>; stderr: () => string } {
  const proc = fork(child, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, RIVULET_DATA_DIR: dataDir, RIVULET_DRAIN: drain ? '1' : '0' },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const started = new Promise<void>((resolve, reject) => {
    proc.on('message', (m) => {
      if ((m as { type: string }).type === 'started') resolve();
    });
    void exited.then((code) => reject(new Error(`child exited (${code}) before starting: ${stderr}`)));
  });
  return { child: proc, started, exited, stderr: () => stderr };
}

async function append(log: Log, topicName: string, records: Array<{ key: string; value: unknown }>) {
  const byPartition = Array.from({ length: PARTITIONS }, () => [] as Array<{ key: string; value: unknown }>);
  for (const r of records) byPartition[partitionForKey(Buffer.from(r.key), PARTITIONS)]!.push(r);
  for (let p = 0; p < PARTITIONS; p++)
    if (byPartition[p]!.length > 0)
      await log.append(
        topicName,
        p,
        byPartition[p]!.map((r) => ({
          key: Buffer.from(r.key),
          value: Buffer.from(JSON.stringify(r.value)),
          headers: undefined,
          timestamp: 0,
        })),
      );
}

async function readTopic(log: Log, topicName: string): Promise<unknown[]> {
  const out: unknown[] = [];
  if (!log.hasTopic(topicName)) return out;
  for (let p = 0; p < log.topicConfig(topicName).partitions; p++) {
    const partition = log.partition(topicName, p);
    let offset = partition.logStartOffset;
    // What a read-committed consumer sees: the engine's committed output only.
    while (offset < partition.committedOffset) {
      const fetched = await partition.fetch(offset, undefined, 'committed');
      for (const r of fetched.records) out.push(JSON.parse(r.valueString()!));
      offset = fetched.nextOffset;
    }
  }
  return out;
}

/** An id whose key hashes to `partition` (flush records must reach every partition). */
function idFor(prefix: string, partition: number): string {
  for (let i = 0; ; i++)
    if (partitionForKey(Buffer.from(`${prefix}-${i}`), PARTITIONS) === partition) return `${prefix}-${i}`;
}

test('S3 stock manager across SIGKILL/restart: one decision per order, unpaid orders exactly once, = reference', {
  timeout: 300_000,
}, async () => {
  const random = new SeededRandom(faultSeed('s3-stock-manager'));
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-s3-'));
  try {
    const skus = Array.from({ length: 60 }, (_, i) => `sku-${i}`);
    const stock = new Map<string, number>();
    for (const sku of skus) if (!random.chance(0.1)) stock.set(sku, random.between(0, 30));
    const base = 1_700_000_000_000;
    const orders: OrderT[] = [];
    const payments: PaymentT[] = [];
    let t = base;
    for (let i = 0; i < ORDERS; i++) {
      t += random.between(1_000, 20_000);
      const order = { orderId: `o-${i}`, sku: random.pick(skus), qty: random.between(1, 12), ts: t };
      orders.push(order);
      if (random.chance(0.75))
        payments.push({
          orderId: order.orderId,
          amount: order.qty * 10,
          ts: t + random.between(-120_000, 20 * 60_000),
        });
      if (random.chance(0.05))
        payments.push({ orderId: order.orderId, amount: 1, ts: t + random.between(0, 30 * 60_000) });
    }
    // Appended in chunks of event time, each chunk shuffled within half the out-of-order bound.
    const jitter = <T extends { ts: number }>(list: T[]) =>
      list
        .map((x) => ({ x, at: x.ts - random.between(0, OUT_OF_ORDER / 2) }))
        .sort((a, b) => a.at - b.at)
        .map((e) => e.x);
    const end = t + 60 * 60_000;
    const bounds = Array.from({ length: CYCLES + 1 }, (_, c) => base + ((end - base) * c) / CYCLES);
    const chunkOf = <T extends { ts: number }>(list: T[], c: number) =>
      jitter(
        list.filter((x) => (c === 0 || x.ts >= bounds[c]!) && (c === CYCLES - 1 || x.ts < bounds[c + 1]!)),
      );

    const setup = await createLog({ dataDir, maintenanceInterval: false });
    for (const name of ['stock', 'orders', 'payments'])
      await setup.createTopic(name, { partitions: PARTITIONS });
    await append(
      setup,
      'stock',
      [...stock].map(([sku, level]) => ({ key: JSON.stringify(sku), value: level })),
    );
    await setup.close();

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const log = await createLog({ dataDir, maintenanceInterval: false });
      await append(
        log,
        'orders',
        chunkOf(orders, cycle).map((o) => ({ key: o.orderId, value: o })),
      );
      await append(
        log,
        'payments',
        chunkOf(payments, cycle).map((p) => ({ key: p.orderId, value: p })),
      );
      await log.close();
      const run = start(dataDir, false);
      await run.started;
      await new Promise((resolve) => setTimeout(resolve, random.between(0, 1500)));
      run.child.kill('SIGKILL');
      await run.exited;
    }
    // Flush records, one per partition and topic, a day after everything: every window closes.
    const log = await createLog({ dataDir, maintenanceInterval: false });
    const flushTs = end + 86_400_000;
    for (let p = 0; p < PARTITIONS; p++) {
      const id = idFor('flush-order', p);
      await append(log, 'orders', [{ key: id, value: { orderId: id, sku: 'flush', qty: 1, ts: flushTs } }]);
      const pid = idFor('flush-payment', p);
      await append(log, 'payments', [{ key: pid, value: { orderId: pid, amount: 0, ts: flushTs } }]);
    }
    await log.close();
    const final = start(dataDir, true);
    assert.equal(await final.exited, 0, final.stderr());

    const reader = await createLog({ dataDir, maintenanceInterval: false });
    try {
      const decisions = (await readTopic(reader, 'stock-decisions')) as Array<{ orderId: string }>;
      const real = decisions.filter((d) => !d.orderId.startsWith('flush'));
      const byOrder = new Map<string, unknown[]>();
      for (const d of real) byOrder.set(d.orderId, [...(byOrder.get(d.orderId) ?? []), d]);
      const twice = [...byOrder.values()].filter((l) => l.length > 1).length;
      const lost = orders.filter((o) => !byOrder.has(o.orderId)).length;
      assert.equal(twice, 0, 'decisions made twice');
      assert.equal(lost, 0, 'orders without a decision');
      for (const o of orders) assert.deepEqual(byOrder.get(o.orderId)![0], decide(o, stock.get(o.sku)));

      const unpaid = ((await readTopic(reader, 'unpaid')) as Array<{ orderId: string }>)
        .map((u) => u.orderId)
        .filter((id) => !id.startsWith('flush'));
      const expectedUnpaid = orders
        .filter(
          (o) => !payments.some((p) => p.orderId === o.orderId && Math.abs(p.ts - o.ts) <= PAYMENT_WINDOW),
        )
        .map((o) => o.orderId);
      assert.equal(unpaid.length, new Set(unpaid).size, 'an unpaid record emitted twice');
      assert.deepEqual([...unpaid].sort(), [...expectedUnpaid].sort());
      assert.deepEqual(await readTopic(reader, 'late-payments'), []);
      // The stock table as its changelog holds it (what a restart restores): equal to the reference.
      const changelog = 'stock-manager-stock-changelog';
      const table = new Map<string, number>();
      for (let p = 0; p < reader.topicConfig(changelog).partitions; p++) {
        const partition = reader.partition(changelog, p);
        let offset = partition.logStartOffset;
        while (offset < partition.highWatermark) {
          const fetched = await partition.fetch(offset);
          for (const r of fetched.records) {
            const sku = JSON.parse(r.keyString()!) as string;
            if (r.value === null) table.delete(sku);
            else table.set(sku, decodeStructured(r.value) as number);
          }
          offset = fetched.nextOffset;
        }
      }
      assert.deepEqual(new Map([...table].sort()), new Map([...stock].sort()));
      const reservations = real.filter(
        (d) => (d as unknown as { kind: string }).kind === 'reservation',
      ).length;
      console.log(
        `[s3] ${CYCLES} kills: ${orders.length} orders -> ${reservations} reservations, ${real.length - reservations} backorders, ${unpaid.length} unpaid; 0 twice, 0 lost, = reference`,
      );
    } finally {
      await reader.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
