import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOUR, MINUTE, trackerPipeline } from '../../../../examples/s4-sliding-tracker/pipeline.ts';
import { TestDriver } from '../../src/testing/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * S4 through the test driver, with final results: 800 orders of 5 SKUs over three hours (up to 25 s out
 * of order). Every hourly window ending on a minute and every order's last-hour figures (orders,
 * revenue, moving average, min and max price) must equal plain loops over the same orders.
 */
test('S4 sliding-window tracker: hourly windows and per-order last-hour figures equal plain loops', () => {
  const random = new SeededRandom(faultSeed('s4-sliding-tracker'));
  const start = 1_700_000_000_000 - (1_700_000_000_000 % HOUR);
  const orders: Array<{ orderId: string; sku: string; price: number; qty: number; ts: number }> = [];
  let clock = start;
  for (let i = 0; i < 800; i++) {
    clock += random.between(2_000, 25_000);
    orders.push({
      orderId: `o${i}`,
      sku: `sku-${random.int(5)}`,
      price: random.between(1, 200) / 4,
      qty: random.between(1, 5),
      ts: clock - random.between(0, 25_000),
    });
  }
  const driver = new TestDriver(trackerPipeline('final'));
  for (const o of orders) driver.pipeInput('orders', o);
  driver.pipeInput('orders', { orderId: 'flush', sku: 'flush', price: 1, qty: 1, ts: clock + 3 * HOUR });
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

  // Hourly windows ending on every minute.
  const hourly = new Map<string, { orders: number; revenue: number }>();
  for (const o of orders) {
    const last = o.ts - (o.ts % MINUTE);
    for (let s = last - 59 * MINUTE; s <= last; s += MINUTE) {
      const id = `${o.sku}|${s}`;
      const w = hourly.get(id) ?? { orders: 0, revenue: 0 };
      w.orders++;
      w.revenue += o.price * o.qty;
      hourly.set(id, w);
    }
  }
  const gotHourly = driver
    .readOutput('sku-hourly')
    .map((r) => r.value as { sku: string; from: number; to: number; orders: number; revenue: number })
    .filter((w) => w.sku !== 'flush');
  assert.equal(gotHourly.length, hourly.size);
  for (const w of gotHourly) {
    const expected = hourly.get(`${w.sku}|${w.from}`)!;
    assert.equal(w.to - w.from, HOUR);
    assert.equal(w.orders, expected.orders, `${w.sku} ${w.from}`);
    assert.ok(close(w.revenue, expected.revenue), `${w.sku} ${w.from} revenue`);
  }

  // Per order: the orders of its SKU at most an hour before it (inclusive).
  const gotLast = driver
    .readOutput('sku-last-hour')
    .map(
      (r) =>
        r.value as {
          sku: string;
          at: number;
          orders: number;
          revenue: number;
          avgPrice: number;
          minPrice: number;
          maxPrice: number;
        },
    )
    .filter((w) => w.sku !== 'flush');
  assert.equal(gotLast.length, orders.length, 'one result per order');
  const key = (x: { sku: string; at: number }) => `${x.sku}|${x.at}`;
  const bySlot = new Map<string, typeof gotLast>();
  for (const w of gotLast) bySlot.set(key(w), [...(bySlot.get(key(w)) ?? []), w]);
  for (const o of orders) {
    const inWindow = orders.filter((x) => x.sku === o.sku && x.ts >= o.ts - HOUR && x.ts <= o.ts);
    const got = bySlot.get(`${o.sku}|${o.ts}`)![0]!;
    assert.equal(got.orders, inWindow.length);
    assert.ok(
      close(
        got.revenue,
        inWindow.reduce((n, x) => n + x.price * x.qty, 0),
      ),
    );
    assert.ok(close(got.avgPrice, inWindow.reduce((n, x) => n + x.price, 0) / inWindow.length));
    assert.equal(got.minPrice, Math.min(...inWindow.map((x) => x.price)));
    assert.equal(got.maxPrice, Math.max(...inWindow.map((x) => x.price)));
  }
  console.log(
    `[s4-sliding-tracker] ${orders.length} orders, ${gotHourly.length} hourly windows, ${gotLast.length} last-hour results: = reference`,
  );
});
