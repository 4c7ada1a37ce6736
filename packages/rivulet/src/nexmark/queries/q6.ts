import type { NexmarkQuery } from '../nexmark-query.ts';
import { winningBids } from '../winning-bid-processor.ts';

interface Closed {
  auction: number;
  expires: number;
  price: number;
}

const LAST = 10;

/**
 * Average selling price by seller: per seller, the average winning price of its last 10 closed auctions
 * (by expiry time; auctions that closed without a bid do not count). Closings may reach a seller out of
 * expiry order (they come from other tasks), so the 10 latest are kept sorted.
 */
export const q6: NexmarkQuery = {
  name: 'q6',
  output: 'upsert',
  build: ({ auctions, bids }) =>
    winningBids('q6-winning-bids', auctions, bids)
      .flatMap((c) =>
        c.kind === 'closed' && c.best !== undefined
          ? [
              {
                seller: c.auction.seller,
                auction: c.auction.id,
                expires: c.auction.expires,
                price: c.best.price,
              },
            ]
          : [],
      )
      .keyBy((c) => c.seller)
      .aggregate(
        'q6-last-closed',
        (): Closed[] => [],
        (last, c) => {
          const entry = { auction: c.auction, expires: c.expires, price: c.price };
          const next = [...last, entry].sort((x, y) => x.expires - y.expires || x.auction - y.auction);
          return next.length > LAST ? next.slice(next.length - LAST) : next;
        },
      )
      .mapValues('q6-average', (last, seller) => ({
        seller,
        avg: last.reduce((sum, c) => sum + c.price, 0) / last.length,
      }))
      .toStream(),
};
