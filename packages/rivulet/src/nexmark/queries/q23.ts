import type { Auction, Bid, Person } from '../nexmark-event.ts';
import { type NexmarkQuery, UNBOUNDED_JOIN } from '../nexmark-query.ts';

/**
 * Multi-way join: every bid whose bidder is a person who also sells, with the person and each of the
 * person's auctions (bid ⋈ person on bidder = id ⋈ auction on seller = bidder; regular joins as q3).
 */
export const q23: NexmarkQuery = {
  name: 'q23',
  output: 'append',
  build: ({ bids, persons, auctions }) =>
    bids
      .keyBy((b) => b.bidder)
      .join(
        'q23-bid-person',
        persons.keyBy((p) => p.id),
        UNBOUNDED_JOIN,
        (b: Bid, p: Person) => ({ b, p }),
      )
      .keyBy((bp) => bp.b.bidder)
      .join(
        'q23-bid-person-auction',
        auctions.keyBy((a) => a.seller),
        UNBOUNDED_JOIN,
        ({ b, p }: { b: Bid; p: Person }, a: Auction) => ({
          bidder: b.bidder,
          price: b.price,
          channel: b.channel,
          url: b.url,
          bid_extra: b.extra,
          person_id: p.id,
          name: p.name,
          emailAddress: p.emailAddress,
          creditCard: p.creditCard,
          city: p.city,
          state: p.state,
          person_extra: p.extra,
          itemName: a.itemName,
          description: a.description,
          initialBid: a.initialBid,
          reserve: a.reserve,
          auction_dateTime: a.dateTime,
          expires: a.expires,
          seller: a.seller,
          category: a.category,
          auction_extra: a.extra,
        }),
      ),
};
