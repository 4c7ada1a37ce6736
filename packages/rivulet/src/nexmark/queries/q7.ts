import { tumbling } from '../../dsl/index.ts';
import type { Bid } from '../nexmark-event.ts';
import type { NexmarkQuery } from '../nexmark-query.ts';

interface Highest {
  price: number;
  bids: Bid[];
}

/** Highest bid: per tumbling 10 s window, the bids with the window's highest price (all of them on a tie). */
export const q7: NexmarkQuery = {
  name: 'q7',
  output: 'append',
  build: ({ bids }) =>
    bids
      .windowAll(tumbling('10s'))
      .aggregate(
        'q7-highest',
        (): Highest => ({ price: -1, bids: [] }),
        (top, b) =>
          b.price > top.price
            ? { price: b.price, bids: [b] }
            : b.price === top.price
              ? { price: top.price, bids: [...top.bids, b] }
              : top,
      )
      .flatMap((r) =>
        r.value.bids.map((b) => ({
          auction: b.auction,
          price: b.price,
          bidder: b.bidder,
          dateTime: b.dateTime,
          extra: b.extra,
        })),
      ),
};
