/**
 * S3, stock management: orders `{ orderId, sku, qty, ts }` ('orders', keyed by orderId), payments
 * `{ orderId, amount, ts }` ('payments', keyed by orderId) and a stock table (sku -> units available,
 * 'stock', keyed by the SKU as a JSON string, e.g. a compacted topic fed by the warehouse):
 * - each order joins its SKU's stock level (stream-table join): enough units -> a `reservation`,
 *   otherwise (or an unknown SKU) a `backorder` -> 'stock-decisions';
 * - each order joins its payments within 15 minutes either side (stream-stream left join, by event
 *   time): an order with no payment in that time is `unpaid` once the watermark passes its time + 15
 *   minutes -> 'unpaid'.
 * Exactly-once on the embedded log: after a crash no decision is made twice and none is lost.
 *
 *   rivulet topics create stock --partitions 2
 *   rivulet topics create orders --partitions 2
 *   rivulet topics create payments --partitions 2
 *   rivulet run examples/s3-stock-manager/pipeline.ts --http 8080
 */
import { boundedOutOfOrder, json, pipeline, text, topic } from 'rivulet';
import { z } from 'zod';

export const Order = z.object({
  orderId: z.string(),
  sku: z.string(),
  qty: z.number().int().positive(),
  ts: z.number().int().nonnegative(),
});
export type OrderT = z.infer<typeof Order>;

export const Payment = z.object({
  orderId: z.string(),
  amount: z.number().nonnegative(),
  ts: z.number().int().nonnegative(),
});
export type PaymentT = z.infer<typeof Payment>;

export const PAYMENT_WINDOW = 15 * 60_000;
/** How far records of a topic may come out of event-time order. */
export const OUT_OF_ORDER = 60_000;

export interface Decision {
  kind: 'reservation' | 'backorder';
  orderId: string;
  sku: string;
  qty: number;
  /** The stock level the order saw (null: the SKU is not in the table). */
  level: number | null;
}

/** The decision for an order given its SKU's stock level. */
export function decide(order: OrderT, level: number | undefined): Decision {
  const enough = level !== undefined && level >= order.qty;
  return {
    kind: enough ? 'reservation' : 'backorder',
    orderId: order.orderId,
    sku: order.sku,
    qty: order.qty,
    level: level ?? null,
  };
}

export function stockManager() {
  const p = pipeline('stock-manager');
  const stock = p.table('stock', topic('stock', json(z.number().int()), { key: json(z.string()) }));
  const orders = p
    .from('orders', topic('orders', json(Order), { key: text() }))
    .eventTime((o) => o.ts, boundedOutOfOrder(OUT_OF_ORDER));
  const payments = p
    .from('payments', topic('payments', json(Payment), { key: text() }))
    .eventTime((pay) => pay.ts, boundedOutOfOrder(OUT_OF_ORDER));

  orders
    .keyBy((o) => o.sku)
    .leftJoin(stock, (order, level) => decide(order, level))
    .to('decisions', topic('stock-decisions', json()));

  const paid = orders
    .groupByKey()
    .leftJoin('payments-within-15m', payments.groupByKey(), PAYMENT_WINDOW, (order, payment) => ({
      orderId: order.orderId,
      paid: payment !== undefined,
      ts: order.ts,
    }));
  paid
    .filter((r) => !r.paid)
    .map((r) => ({ kind: 'unpaid' as const, orderId: r.orderId, orderTs: r.ts }))
    .to('unpaid-out', topic('unpaid', json()));
  paid.late.to('late-out', topic('late-payments', json()));
  return p;
}

export default stockManager();
