import type { NexmarkQuery } from '../nexmark-query.ts';
import { winningBids } from '../winning-bid-processor.ts';

/**
 * Winning bids: per auction, the highest bid (earliest on a tie) placed while it was open, as an
 * updating table keyed by auction id.
 */
export const q9: NexmarkQuery = {
  name: 'q9',
  output: 'upsert',
  build: ({ auctions, bids }) =>
    winningBids('q9-winning-bids', auctions, bids).flatMap((c) => {
      if (c.kind !== 'update') return [];
      const { auction: a, best: b } = c;
      return [
        {
          id: a.id,
          itemName: a.itemName,
          description: a.description,
          initialBid: a.initialBid,
          reserve: a.reserve,
          dateTime: a.dateTime,
          expires: a.expires,
          seller: a.seller,
          category: a.category,
          extra: a.extra,
          auction: b.auction,
          bidder: b.bidder,
          price: b.price,
          bid_dateTime: b.dateTime,
          bid_extra: b.extra,
        },
      ];
    }),
};
