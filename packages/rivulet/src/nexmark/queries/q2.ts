import type { NexmarkQuery } from '../nexmark-query.ts';

/** Selection: bids on auctions whose id is a multiple of 123. */
export const q2: NexmarkQuery = {
  name: 'q2',
  output: 'append',
  build: ({ bids }) =>
    bids.filter((b) => b.auction % 123 === 0).map((b) => ({ auction: b.auction, price: b.price })),
};
