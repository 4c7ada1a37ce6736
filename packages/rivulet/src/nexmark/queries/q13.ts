import type { NexmarkQuery } from '../nexmark-query.ts';

/** Bounded side-input join: every bid with the side input's value under auction mod 10,000. */
export const q13: NexmarkQuery = {
  name: 'q13',
  output: 'append',
  sideInput: true,
  build: ({ bids, sideInput }) =>
    bids.join(
      sideInput(),
      (b) => String(b.auction % 10_000),
      (b, value) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, value }),
    ),
};
