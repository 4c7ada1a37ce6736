import { filter, from, map, scan } from 'rxjs';
import { hrMicros, type ThroughputRequest, type ThroughputSample } from './engine-throughput.ts';
import { generateOrders, keepOrder, type Order, toPayment } from './order-fixtures.ts';

interface CountState {
  counts: Map<string, number>;
  user: string;
  count: number;
}

/**
 * The peer: RxJS over the already-decoded orders in memory (no log, no JSON, no I/O), collecting the
 * outputs in an array. Stateless: `from(orders).pipe(filter, map)`; keyed count: a `scan` over a Map
 * emitting `{ user, count }` per record (cheaper than groupBy with 10K+ groups).
 */
export function measureRxjs(request: ThroughputRequest): ThroughputSample {
  const orders = generateOrders(request.records, request.keys);
  const out: unknown[] = [];
  const startUs = hrMicros();
  const started = performance.now();
  if (request.kind === 'stateless') {
    from(orders)
      .pipe(
        filter((o: Order) => keepOrder(o)),
        map((o) => toPayment(o)),
      )
      .subscribe((v) => out.push(v));
  } else {
    from(orders)
      .pipe(
        scan(
          (state: CountState, o: Order) => {
            const count = (state.counts.get(o.user) ?? 0) + 1;
            state.counts.set(o.user, count);
            state.user = o.user;
            state.count = count;
            return state;
          },
          { counts: new Map<string, number>(), user: '', count: 0 },
        ),
        map((s) => ({ user: s.user, count: s.count })),
      )
      .subscribe((v) => out.push(v));
  }
  const seconds = (performance.now() - started) / 1000;
  return { records: orders.length, outputs: out.length, seconds, windowUs: [startUs, hrMicros()] };
}
