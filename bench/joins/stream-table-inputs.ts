import type { Log } from '../../packages/rivulet/src/index.ts';
import { type ExpectedJoin, fillJoinOrders } from './join-order-fixtures.ts';
import type { StreamTableRequest } from './join-sample.ts';
import { fillProducts } from './product-fixtures.ts';

/**
 * Fills the input of a stream-table case into `log` (before timing): the products table topic, then the
 * orders topic. Returns what the inner join must emit.
 */
export async function fillStreamTableInputs(log: Log, request: StreamTableRequest): Promise<ExpectedJoin> {
  await fillProducts(log, request.products);
  return fillJoinOrders(log, request.orders, request.products);
}
