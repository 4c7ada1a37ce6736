import type { NexmarkQuery } from '../nexmark-query.ts';

/** Pass-through: every bid. */
export const q0: NexmarkQuery = {
  name: 'q0',
  output: 'append',
  build: ({ bids }) =>
    bids.map((b) => ({
      auction: b.auction,
      bidder: b.bidder,
      price: b.price,
      dateTime: b.dateTime,
      extra: b.extra,
    })),
};
