/**
 * S2, stock tracker: order events and stock movements arrive on two topics; the running stock level per
 * SKU is kept as a table (store 'stock-level') and its changes are written to 'stock-levels'.
 *
 *   rivulet topics create orders --partitions 3
 *   rivulet topics create stock-movements --partitions 3
 *   rivulet run examples/s2-stock-tracker/pipeline.ts --http 8080
 *   curl http://127.0.0.1:8080/stores/stock-level/sku-1     # the live level of sku-1 (last checkpoint)
 */

import { json, pipeline, topic } from 'rivulet';
import { z } from 'zod';

export const Order = z.object({
  orderId: z.string(),
  sku: z.string(),
  qty: z.number().int().positive(),
  type: z.enum(['placed', 'cancelled', 'shipped']),
});

export const Movement = z.object({
  sku: z.string(),
  qty: z.number().int().positive(),
  kind: z.enum(['received', 'reserved', 'released']),
});

/** How an event changes the stock level of its SKU: placing an order takes stock, cancelling returns it. */
export function orderDelta(order: z.infer<typeof Order>): number {
  if (order.type === 'placed') return -order.qty;
  if (order.type === 'cancelled') return order.qty;
  return 0;
}

export function movementDelta(movement: z.infer<typeof Movement>): number {
  return movement.kind === 'reserved' ? -movement.qty : movement.qty;
}

const stock = pipeline('stock-tracker');
const orders = stock.from('orders', topic('orders', json(Order)));
const movements = stock.from('movements', topic('stock-movements', json(Movement)));
orders
  .map((o) => ({ sku: o.sku, delta: orderDelta(o) }))
  .merge(movements.map((m) => ({ sku: m.sku, delta: movementDelta(m) })))
  .keyBy((d) => d.sku)
  .sum('stock-level', (d) => d.delta)
  .toStream()
  .to('levels-out', topic('stock-levels', json()));

export default stock;
