/**
 * S6, fraud detection on card transactions `{ txId, card, amount, country, status, ts }` ('transactions'),
 * per card, in event-time order:
 * - three declined attempts followed by an approved one within 10 minutes (a pattern) -> 'declines-then-approval';
 * - a transaction in another country than the card's previous one within an hour (a pattern with `next`)
 *   -> 'country-hops';
 * - an amount more than 5 standard deviations above the card's running mean (over at least 10 earlier
 *   transactions; a processor with Welford's running variance) -> 'amount-outliers'.
 *
 *   rivulet topics create transactions --partitions 2
 *   rivulet run examples/s6-fraud/pipeline.ts
 */
import { boundedOutOfOrder, json, pattern, pipeline, topic } from 'rivulet';
import { z } from 'zod';

export const Transaction = z.object({
  txId: z.string(),
  card: z.string(),
  amount: z.number().nonnegative(),
  country: z.string(),
  status: z.enum(['approved', 'declined']),
  ts: z.number().int().nonnegative(),
});
export type TransactionT = z.infer<typeof Transaction>;

export const DECLINES = 3;
export const DECLINE_WINDOW = 10 * 60_000;
export const HOP_WINDOW = 60 * 60_000;
export const SIGMAS = 5;
export const MIN_HISTORY = 10;

/** Running count, mean and sum of squared deviations (Welford). */
interface Running {
  n: number;
  mean: number;
  m2: number;
}

export function fraudPipeline() {
  const s6 = pipeline('fraud');
  const cards = s6
    .from('transactions', topic('transactions', json(Transaction)))
    .eventTime((t) => t.ts, boundedOutOfOrder('30s', { idleTimeout: '1m' }))
    .keyBy((t) => t.card);

  const declines = cards.match(
    'declines-then-approval',
    pattern<TransactionT>()
      .begin('declined', (t) => t.status === 'declined')
      .times(DECLINES)
      .followedBy('approved', (t) => t.status === 'approved')
      .within(DECLINE_WINDOW),
  );
  declines.matches
    .map((m) => ({
      card: m.key,
      declined: m.records.declined!.map((t) => t.txId),
      approved: m.records.approved![0]!.txId,
    }))
    .to('declines-out', topic('declines-then-approval', json()));
  declines.late.to('declines-late', topic('late-transactions', json()));

  cards
    .match(
      'country-hop',
      pattern<TransactionT>()
        .begin('previous', () => true)
        .next('other', (t, ctx) => t.country !== ctx.matched.previous![0]!.country)
        .within(HOP_WINDOW),
    )
    .matches.map((m) => ({
      card: m.key,
      from: m.records.previous![0]!.txId,
      to: m.records.other![0]!.txId,
    }))
    .to('hops-out', topic('country-hops', json()));

  cards
    .process(
      'amount-outlier',
      {
        process(t, ctx) {
          const stats = ctx.state<Running>('running');
          const s = stats.get() ?? { n: 0, mean: 0, m2: 0 };
          const sd = s.n > 1 ? Math.sqrt(s.m2 / (s.n - 1)) : 0;
          const outlier = s.n >= MIN_HISTORY && t.amount > s.mean + SIGMAS * sd;
          const n = s.n + 1;
          const delta = t.amount - s.mean;
          const mean = s.mean + delta / n;
          stats.set({ n, mean, m2: s.m2 + delta * (t.amount - mean) });
          return outlier ? [{ card: t.card, txId: t.txId, amount: t.amount, mean: s.mean, sd }] : undefined;
        },
      },
      { stores: [{ name: 'running' }] },
    )
    .to('outliers-out', topic('amount-outliers', json()));
  return s6;
}

export default fraudPipeline();
