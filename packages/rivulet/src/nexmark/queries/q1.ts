import type { NexmarkQuery } from '../nexmark-query.ts';

/** Currency conversion: every bid with its price in euros (x 0.908). */
export const q1: NexmarkQuery = {
  name: 'q1',
  output: 'append',
  build: ({ bids }) =>
    bids.map((b) => ({
      auction: b.auction,
      bidder: b.bidder,
      price: 0.908 * b.price,
      dateTime: b.dateTime,
      extra: b.extra,
    })),
};
