import { tumbling } from '../../dsl/index.ts';
import type { NexmarkQuery } from '../nexmark-query.ts';

/** The columns q7 returns: what crosses the repartition (not the bid's channel and url). */
interface Row {
  auction: number;
  price: number;
  bidder: number;
  dateTime: number;
  extra: string;
}

interface Highest {
  price: number;
  bids: Row[];
}

/** Highest bid: per tumbling 10 s window, the bids with the window's highest price (all of them on a tie). */
export const q7: NexmarkQuery = {
  name: 'q7',
  output: 'append',
  build: ({ bids }) =>
    bids
      .map(
        (b): Row => ({
          auction: b.auction,
          price: b.price,
          bidder: b.bidder,
          dateTime: b.dateTime,
          extra: b.extra,
        }),
      )
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
      .flatMap((r) => r.value.bids),
};
