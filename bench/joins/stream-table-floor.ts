import {
  createLog,
  type EncodableRecord,
  type Log,
  type LogRecord,
} from '../../packages/rivulet/src/index.ts';
import { hrMicros } from '../runtime/engine-throughput.ts';
import { makeTempDir } from '../temp-dir.ts';
import { type JoinOrder, ORDERS_TOPIC } from './join-order-fixtures.ts';
import type { JoinSample, StreamTableRequest } from './join-sample.ts';
import { PARTITIONS, PRODUCTS_TOPIC, type Product } from './product-fixtures.ts';
import { fillStreamTableInputs } from './stream-table-inputs.ts';
import { enrichOrder, JOINED_TOPIC } from './stream-table-pipeline.ts';

const FETCH_BYTES = 256 * 1024;

/**
 * Reads all of `topic` as it is now, the partitions in turn, one `log.fetch` of 256 KiB each (as the
 * engine's tasks take one batch per partition and step), handing each batch to `onBatch`.
 */
async function readTopic(
  log: Log,
  topic: string,
  onBatch: (partition: number, records: readonly LogRecord[]) => Promise<void> | void,
): Promise<void> {
  const offsets = Array.from({ length: PARTITIONS }, (_, p) => log.partition(topic, p).logStartOffset);
  const ends = Array.from({ length: PARTITIONS }, (_, p) => log.partition(topic, p).highWatermark);
  for (let busy = true; busy; ) {
    busy = false;
    for (let p = 0; p < PARTITIONS; p++) {
      if (offsets[p]! >= ends[p]!) continue;
      busy = true;
      const { records, nextOffset } = await log.fetch(topic, p, offsets[p]!, FETCH_BYTES);
      offsets[p] = nextOffset;
      await onBatch(p, records);
    }
  }
}

/**
 * The floor: the same join over the same records in the same embedded log, as a plain loop. First the
 * products topic, all of it, into one `Map` per partition (key string -> `JSON.parse`d row; a null value
 * would delete), then the orders: `JSON.parse` of every order, a `Map` lookup by the record key in its partition's
 * map, `enrichOrder` and `JSON.stringify` for the orders that have a row, one awaited `log.append` to the
 * output partition per fetch (durability none). Timed from before the table load to the last append, as
 * the engine is; no store, no changelog, no checkpoints, no overlap of fetch, work and append.
 */
export async function measureStreamTableFloor(request: StreamTableRequest): Promise<JoinSample> {
  const dir = makeTempDir('joins-floor');
  try {
    const log = await createLog({ dataDir: dir.path, maintenanceInterval: false });
    try {
      const expected = await fillStreamTableInputs(log, request);
      await log.createTopic(JOINED_TOPIC, { partitions: PARTITIONS, durability: 'none' });
      const tables = Array.from({ length: PARTITIONS }, () => new Map<string, Product>());
      let results = 0;
      let amountSum = 0;
      let firstOutputMs: number | undefined;
      const startUs = hrMicros();
      const started = performance.now();
      await readTopic(log, PRODUCTS_TOPIC, (p, records) => {
        const table = tables[p]!;
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          const value = r.valueString();
          if (value === null) table.delete(r.keyString()!);
          else table.set(r.keyString()!, JSON.parse(value) as Product);
        }
      });
      await readTopic(log, ORDERS_TOPIC, async (p, records) => {
        const table = tables[p]!;
        const out: EncodableRecord[] = [];
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          const order = JSON.parse(r.valueString()!) as JoinOrder;
          const product = table.get(r.keyString()!);
          if (product === undefined) continue;
          const joined = enrichOrder(order, product);
          results++;
          amountSum += joined.amount;
          out.push({
            key: r.key,
            value: Buffer.from(JSON.stringify(joined)),
            headers: undefined,
            timestamp: r.timestamp,
          });
        }
        if (out.length === 0) return;
        await log.append(JOINED_TOPIC, p, out);
        firstOutputMs ??= performance.now() - started;
      });
      const seconds = (performance.now() - started) / 1000;
      return {
        records: request.orders,
        tableRecords: request.products,
        results,
        amountSum,
        expectedResults: expected.results,
        expectedAmountSum: expected.amountSum,
        seconds,
        firstOutputMs,
        windowUs: [startUs, hrMicros()],
      };
    } finally {
      await log.close();
    }
  } finally {
    dir.remove();
  }
}
