import type { NexmarkQuery } from '../nexmark-query.ts';
import { winningBids } from '../winning-bid-processor.ts';

interface CategoryTotal {
  sum: number;
  count: number;
}

/**
 * Average winning price per category: per auction the highest bid placed while it was open (an
 * updating value), then per category the average of those maxima, updated as they change (a change
 * replaces the auction's previous maximum in the sum).
 */
export const q4: NexmarkQuery = {
  name: 'q4',
  output: 'upsert',
  build: ({ auctions, bids }) =>
    winningBids('q4-winning-bids', auctions, bids)
      .flatMap((c) =>
        c.kind === 'update'
          ? [{ category: c.auction.category, price: c.best.price, previous: c.previous?.price }]
          : [],
      )
      .keyBy((c) => c.category)
      .aggregate(
        'q4-categories',
        (): CategoryTotal => ({ sum: 0, count: 0 }),
        (total, c) =>
          c.previous === undefined
            ? { sum: total.sum + c.price, count: total.count + 1 }
            : { sum: total.sum + c.price - c.previous, count: total.count },
      )
      .mapValues('q4-average', (total, category) => ({ category, avg: total.sum / total.count }))
      .toStream(),
};
