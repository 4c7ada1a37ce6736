import { bidRow } from '../bid-row.ts';
import type { Bid } from '../nexmark-event.ts';
import type { NexmarkQuery } from '../nexmark-query.ts';

const TOP = 10;

/**
 * Top 10 bids per auction by price (on a tie, the earlier processed ranks first), as an updating table
 * whose value is the auction's ranked rows.
 */
export const q19: NexmarkQuery = {
  name: 'q19',
  output: 'upsert',
  build: ({ bids }) =>
    bids
      .keyBy((b) => b.auction)
      .aggregate(
        'q19-top',
        (): Bid[] => [],
        (top, b) => {
          let at = top.length;
          while (at > 0 && top[at - 1]!.price < b.price) at--;
          if (at >= TOP) return top;
          const next = [...top.slice(0, at), b, ...top.slice(at)];
          return next.length > TOP ? next.slice(0, TOP) : next;
        },
      )
      .mapValues('q19-rows', (top) => top.map((b, i) => ({ ...bidRow(b), rank_number: i + 1 })))
      .toStream(),
};
