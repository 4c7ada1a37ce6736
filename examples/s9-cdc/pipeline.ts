/**
 * S9, change data capture: rows changed in PostgreSQL tables `stock (sku, level)` and `orders (order_id,
 * sku, qty)` become records through logical replication (`postgresCdcSource`: insert / update / delete with
 * before and after images, in commit order, resumed by LSN). The stock changes make a table (sku -> its
 * latest row); each inserted order joins its SKU's stock level as in S3 (enough units: a reservation,
 * else a backorder); per SKU the decisions are aggregated and upserted into `sku_summary (sku, orders,
 * reserved_qty, backordered_qty)` (`postgresUpsertSink`: the rows and the sink's positions commit in one
 * transaction, so a crash neither loses nor double-counts an order).
 *
 *   S9_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/shop rivulet run examples/s9-cdc/pipeline.ts
 *   (the server needs wal_level=logical; the slot and publication are created when missing)
 */
import { postgresCdcSource, postgresUpsertSink } from '@rivulet/postgres';
import { json, pipeline, type SinkConnector, type SourceConnector } from 'rivulet';
import { z } from 'zod';
import { decide } from '../s3-stock-manager/pipeline.ts';

export const Change = z.object({
  op: z.enum(['insert', 'update', 'delete']),
  table: z.string(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  commitTime: z.number(),
});
type ChangeT = z.infer<typeof Change>;

export interface SkuSummary {
  sku: string;
  orders: number;
  reserved_qty: number;
  backordered_qty: number;
}

/** The stock level in a stock change (undefined for an unknown SKU). */
function levelOf(change: ChangeT | undefined): number | undefined {
  const level = change?.after?.level;
  return typeof level === 'number' ? level : undefined;
}

export function cdcPipeline(changes: SourceConnector, summary: SinkConnector) {
  const s9 = pipeline('cdc-orders');
  const rows = s9.from('pg-changes', changes, json(Change));
  // The latest change per SKU; a delete removes the SKU from the table.
  const stock = rows
    .filter((c) => c.table === 'stock')
    .keyBy((c) => String((c.after ?? c.before)?.sku))
    .reduce('stock-changes', (_previous, latest) => latest)
    .filter('stock', (c) => c.op !== 'delete');
  rows
    .filter((c) => c.table === 'orders' && c.op === 'insert')
    .map((c) => ({
      orderId: String(c.after!.order_id),
      sku: String(c.after!.sku),
      qty: Number(c.after!.qty),
      ts: c.commitTime,
    }))
    .keyBy((o) => o.sku)
    .leftJoin(stock, (order, change) => decide(order, levelOf(change)))
    .keyBy((d) => d.sku)
    .aggregate(
      'sku-summary',
      (): SkuSummary => ({ sku: '', orders: 0, reserved_qty: 0, backordered_qty: 0 }),
      (s, d, sku) => ({
        sku,
        orders: s.orders + 1,
        reserved_qty: s.reserved_qty + (d.kind === 'reservation' ? d.qty : 0),
        backordered_qty: s.backordered_qty + (d.kind === 'backorder' ? d.qty : 0),
      }),
    )
    .toStream()
    .to('summary-out', summary, json());
  return s9;
}

const url = process.env.S9_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/shop';
export default cdcPipeline(
  postgresCdcSource({
    connectionString: url,
    slot: 'rivulet_s9',
    publication: 'rivulet_s9',
    tables: ['public.stock', 'public.orders'],
    createSlot: true,
    createPublication: true,
  }),
  postgresUpsertSink({ connectionString: url, table: 'sku_summary', key: ['sku'] }),
);
