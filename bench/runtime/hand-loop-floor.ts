import { createLog, type EncodableRecord, type Log } from '../../packages/rivulet/src/index.ts';
import { makeTempDir } from '../temp-dir.ts';
import {
  hrMicros,
  OUT_TOPIC,
  SOURCE_TOPIC,
  type ThroughputRequest,
  type ThroughputSample,
} from './engine-throughput.ts';
import { fillOrders, keepOrder, type Order, PARTITIONS, toPayment } from './order-fixtures.ts';

const FETCH_BYTES = 256 * 1024;

/**
 * One input partition, hand-written: fetch 256 KiB, decode each value, do the work, encode the outputs
 * and append them to the same output partition (keys keep their partition), one append per fetch.
 * `counts` is the keyed count's state (undefined for the stateless pipeline). Returns the outputs.
 */
async function loopPartition(log: Log, p: number, counts: Map<string, number> | undefined): Promise<number> {
  let outputs = 0;
  let offset = log.partition(SOURCE_TOPIC, p).logStartOffset;
  const end = log.partition(SOURCE_TOPIC, p).highWatermark;
  while (offset < end) {
    const { records, nextOffset } = await log.fetch(SOURCE_TOPIC, p, offset, FETCH_BYTES);
    const out: EncodableRecord[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const order = JSON.parse(r.valueString()!) as Order;
      if (counts === undefined) {
        if (!keepOrder(order)) continue;
        out.push({
          key: r.key,
          value: Buffer.from(JSON.stringify(toPayment(order))),
          headers: undefined,
          timestamp: r.timestamp,
        });
      } else {
        const count = (counts.get(order.user) ?? 0) + 1;
        counts.set(order.user, count);
        out.push({
          key: r.key,
          value: Buffer.from(JSON.stringify(count)),
          headers: undefined,
          timestamp: r.timestamp,
        });
      }
    }
    if (out.length > 0) await log.append(OUT_TOPIC, p, out);
    outputs += out.length;
    offset = nextOffset;
  }
  return outputs;
}

/**
 * The floor: the same work over the same records in the same embedded log, as a plain loop with
 * `log.fetch` and `log.append` (output topic durability `none`, no checkpoints, no repartition: the
 * input is already partitioned by user). The cost of the work itself on this machine.
 */
export async function measureHandLoop(request: ThroughputRequest): Promise<ThroughputSample> {
  const dir = makeTempDir('runtime-floor');
  try {
    const log = await createLog({ dataDir: dir.path, maintenanceInterval: false });
    try {
      const fill = await fillOrders(log, SOURCE_TOPIC, request.records, request.keys);
      await log.createTopic(OUT_TOPIC, { partitions: PARTITIONS, durability: 'none' });
      const counts = request.kind === 'keyed-count' ? new Map<string, number>() : undefined;
      const startUs = hrMicros();
      const started = performance.now();
      let outputs = 0;
      for (let p = 0; p < PARTITIONS; p++) outputs += await loopPartition(log, p, counts);
      const seconds = (performance.now() - started) / 1000;
      return { records: fill.records, outputs, seconds, windowUs: [startUs, hrMicros()] };
    } finally {
      await log.close();
    }
  } finally {
    dir.remove();
  }
}
