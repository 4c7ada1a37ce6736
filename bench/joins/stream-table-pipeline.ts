import { json, type Pipeline, pipeline, text, topic } from '../../packages/rivulet/src/index.ts';
import { type JoinOrder, ORDERS_TOPIC } from './join-order-fixtures.ts';
import { PRODUCTS_TOPIC, type Product } from './product-fixtures.ts';

/** The output topic of the stream-table cases (engine and floor). */
export const JOINED_TOPIC = 'joined';

/** One join result: the order's id and product, and qty x price in cents. */
export interface JoinedOrder {
  id: number;
  product: string;
  amount: number;
}

/** The joiner, shared by the engine pipeline and the floor. */
export const enrichOrder = (order: JoinOrder, product: Product): JoinedOrder => ({
  id: order.id,
  product: order.product,
  amount: order.qty * product.price,
});

/**
 * `table(products)`; `from(orders) -> groupByKey() -> join(products, enrichOrder) -> to(joined)`: an inner
 * stream-table join (orders without a product row are dropped). Both topics are partitioned by product
 * key, so no repartition.
 */
export function streamTablePipeline(): Pipeline {
  const p = pipeline('bench-stream-table');
  const products = p.table('products', topic(PRODUCTS_TOPIC, json<Product>(), { key: text() }));
  p.from('orders', topic(ORDERS_TOPIC, json<JoinOrder>(), { key: text() }))
    .groupByKey()
    .join(products, (order, product) => enrichOrder(order, product))
    .to('joined', topic(JOINED_TOPIC, json<JoinedOrder>()));
  return p;
}
