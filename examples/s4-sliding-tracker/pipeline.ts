/**
 * S4, sliding-window tracker: orders `{ orderId, sku, price, qty, ts }` arrive on 'orders'. Per SKU:
 * - orders and revenue over the last hour, every minute (hopping windows of 1 h every 1 min) to
 *   'sku-hourly';
 * - as of every order, over the hour before it (a sliding window, one result per order): orders, revenue,
 *   moving average price, rolling min and max price, to 'sku-last-hour'.
 * `emit` chooses final results when a window closes (default) or every update.
 *
 *   rivulet topics create orders --partitions 2
 *   S4_EMIT=updates rivulet run examples/s4-sliding-tracker/pipeline.ts
 */
import { boundedOutOfOrder, hopping, json, pipeline, sliding, topic } from 'rivulet';
import { z } from 'zod';

export const Order = z.object({
  orderId: z.string(),
  sku: z.string(),
  price: z.number().positive(),
  qty: z.number().int().positive(),
  ts: z.number().int().nonnegative(),
});
type OrderT = z.infer<typeof Order>;

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

interface Totals {
  orders: number;
  revenue: number;
  priceSum: number;
  minPrice: number;
  maxPrice: number;
}

const empty = (): Totals => ({
  orders: 0,
  revenue: 0,
  priceSum: 0,
  minPrice: Number.POSITIVE_INFINITY,
  maxPrice: Number.NEGATIVE_INFINITY,
});
const add = (t: Totals, o: OrderT): Totals => ({
  orders: t.orders + 1,
  revenue: t.revenue + o.price * o.qty,
  priceSum: t.priceSum + o.price,
  minPrice: Math.min(t.minPrice, o.price),
  maxPrice: Math.max(t.maxPrice, o.price),
});

export function trackerPipeline(emit: 'final' | 'updates') {
  const s4 = pipeline('sku-tracker');
  const bySku = s4
    .from('orders', topic('orders', json(Order)))
    .eventTime((o) => o.ts, boundedOutOfOrder('30s', { idleTimeout: '1m' }))
    .keyBy((o) => o.sku);
  bySku
    .window(hopping(HOUR, MINUTE), { emit })
    .aggregate('sku-hour', empty, add)
    .map((w) => ({
      sku: w.key,
      from: w.window.start,
      to: w.window.end,
      orders: w.value.orders,
      revenue: w.value.revenue,
    }))
    .to('hourly-out', topic('sku-hourly', json()));
  bySku
    .window(sliding(HOUR), { emit })
    .aggregate('sku-last-hour', empty, add)
    .map((w) => ({
      sku: w.key,
      at: w.window.end - 1,
      orders: w.value.orders,
      revenue: w.value.revenue,
      avgPrice: w.value.priceSum / w.value.orders,
      minPrice: w.value.minPrice,
      maxPrice: w.value.maxPrice,
    }))
    .to('last-hour-out', topic('sku-last-hour', json()));
  return s4;
}

export default trackerPipeline(process.env.S4_EMIT === 'updates' ? 'updates' : 'final');
