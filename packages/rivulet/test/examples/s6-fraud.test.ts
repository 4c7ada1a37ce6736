import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DECLINE_WINDOW,
  DECLINES,
  fraudPipeline,
  HOP_WINDOW,
  MIN_HISTORY,
  SIGMAS,
  type TransactionT,
} from '../../../../examples/s6-fraud/pipeline.ts';
import { TestDriver } from '../../src/testing/index.ts';
import { faultSeed, SeededRandom } from '../seeded-random.ts';

/**
 * S6 through the test driver: 1,500 card transactions (6 cards, up to 20 s out of order, bursts of
 * declines, trips abroad, a few huge amounts). The three detectors must equal plain loops: declines
 * then approval and country hops over each card's transactions in time order, outliers over the
 * running mean and deviation in arrival order.
 */
test('S6 fraud: decline bursts, country hops and amount outliers equal plain loops', () => {
  const random = new SeededRandom(faultSeed('s6-fraud'));
  const cards = Array.from({ length: 6 }, (_, i) => `card-${i}`);
  const home = new Map(cards.map((c, i) => [c, ['FR', 'DE', 'ES'][i % 3]!]));
  const txs: TransactionT[] = [];
  let clock = 1_700_000_000_000;
  for (let i = 0; i < 1500; i++) {
    clock += random.between(5_000, 60_000);
    const card = random.pick(cards);
    const declined = random.chance(0.25);
    txs.push({
      txId: `t${i}`,
      card,
      amount: random.chance(0.01) ? random.between(5_000, 9_000) : random.between(5, 120),
      country: random.chance(0.06) ? random.pick(['US', 'JP', 'BR']) : home.get(card)!,
      status: declined ? 'declined' : 'approved',
      ts: clock - random.between(0, 20_000),
    });
  }
  const driver = new TestDriver(fraudPipeline());
  for (const t of txs) driver.pipeInput('transactions', t);
  for (const card of cards)
    driver.pipeInput('transactions', {
      txId: 'flush',
      card,
      amount: 0,
      country: 'XX',
      status: 'declined',
      ts: clock + 10 * HOP_WINDOW,
    });
  const sortJson = (list: unknown[]) => list.map((x) => JSON.stringify(x)).sort();

  const expectedDeclines: unknown[] = [];
  const expectedHops: unknown[] = [];
  for (const card of cards) {
    const list = txs
      .filter((t) => t.card === card)
      .sort((a, b) => a.ts - b.ts || Number(a.txId.slice(1)) - Number(b.txId.slice(1)));
    list.forEach((t, i) => {
      // Declines then approval: from each decline, the next declines and then the next approval, in time.
      if (t.status === 'declined') {
        const taken = [t];
        let j = i + 1;
        while (taken.length < DECLINES && j < list.length) {
          if (list[j]!.status === 'declined') taken.push(list[j]!);
          j++;
        }
        while (j < list.length && list[j]!.status !== 'approved') j++;
        const approval = list[j];
        const last = approval ?? taken.at(-1)!;
        if (
          taken.length === DECLINES &&
          approval !== undefined &&
          last.ts - t.ts < DECLINE_WINDOW &&
          taken.every((x) => x.ts - t.ts < DECLINE_WINDOW)
        )
          expectedDeclines.push({ card, declined: taken.map((x) => x.txId), approved: approval.txId });
      }
      const next = list[i + 1];
      if (next !== undefined && next.country !== t.country && next.ts - t.ts < HOP_WINDOW)
        expectedHops.push({ card, from: t.txId, to: next.txId });
    });
  }
  const expectedOutliers: unknown[] = [];
  const running = new Map<string, number[]>();
  for (const t of txs) {
    const seen = running.get(t.card) ?? [];
    if (seen.length >= MIN_HISTORY) {
      const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
      const sd = Math.sqrt(seen.reduce((a, b) => a + (b - mean) ** 2, 0) / (seen.length - 1));
      if (t.amount > mean + SIGMAS * sd) expectedOutliers.push({ card: t.card, txId: t.txId });
    }
    running.set(t.card, [...seen, t.amount]);
  }

  const declines = driver.readOutput('declines-then-approval').map((r) => r.value);
  const hops = driver
    .readOutput('country-hops')
    .map((r) => r.value as { to: string })
    .filter((h) => h.to !== 'flush');
  const outliers = driver
    .readOutput('amount-outliers')
    .map((r) => r.value as { card: string; txId: string })
    .map((o) => ({ card: o.card, txId: o.txId }));
  assert.deepEqual(sortJson(declines), sortJson(expectedDeclines));
  assert.deepEqual(sortJson(hops), sortJson(expectedHops));
  assert.deepEqual(sortJson(outliers), sortJson(expectedOutliers));
  assert.deepEqual(driver.readOutput('late-transactions'), []);
  assert.ok(
    expectedDeclines.length > 0 && expectedHops.length > 0 && expectedOutliers.length > 0,
    'every detector fired',
  );
  console.log(
    `[s6-fraud] ${txs.length} transactions: ${declines.length} decline bursts, ${hops.length} country hops, ${outliers.length} outliers: = reference`,
  );
});
