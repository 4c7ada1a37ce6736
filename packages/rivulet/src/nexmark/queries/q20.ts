import { bidRow } from '../bid-row.ts';
import type { Auction, Bid } from '../nexmark-event.ts';
import { type NexmarkQuery, UNBOUNDED_JOIN } from '../nexmark-query.ts';

/** Filtered join: every bid with its auction, for auctions of category 10 (a regular join, as q3). */
export const q20: NexmarkQuery = {
  name: 'q20',
  output: 'append',
  build: ({ bids, auctions }) =>
    bids
      .keyBy((b) => b.auction)
      .join(
        'q20-join',
        auctions.filter((a) => a.category === 10).keyBy((a) => a.id),
        UNBOUNDED_JOIN,
        (b: Bid, a: Auction) => ({
          ...bidRow(b),
          itemName: a.itemName,
          description: a.description,
          initialBid: a.initialBid,
          reserve: a.reserve,
          auctionDateTime: a.dateTime,
          expires: a.expires,
          seller: a.seller,
          category: a.category,
          auctionExtra: a.extra,
        }),
      ),
};
