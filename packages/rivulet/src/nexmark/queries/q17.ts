import type { NexmarkQuery } from '../nexmark-query.ts';
import { rankOf } from './rank-counts.ts';
import { utcDay } from './utc-format.ts';

interface AuctionDay {
  total_bids: number;
  rank1_bids: number;
  rank2_bids: number;
  rank3_bids: number;
  min_price: number;
  max_price: number;
  sum_price: number;
}

/** Auction statistics per day: bids per rank, min, max, average and sum of prices per (auction, day). */
export const q17: NexmarkQuery = {
  name: 'q17',
  output: 'upsert',
  build: ({ bids }) =>
    bids
      // Only what the statistics need crosses the repartition.
      .map((b) => ({ auction: b.auction, day: utcDay(b.dateTime), price: b.price }))
      .keyBy((b) => [b.auction, b.day] as const)
      .aggregate(
        'q17-stats',
        (): AuctionDay => ({
          total_bids: 0,
          rank1_bids: 0,
          rank2_bids: 0,
          rank3_bids: 0,
          min_price: Number.POSITIVE_INFINITY,
          max_price: Number.NEGATIVE_INFINITY,
          sum_price: 0,
        }),
        (s, b) => {
          const rank = rankOf(b.price);
          return {
            total_bids: s.total_bids + 1,
            rank1_bids: s.rank1_bids + (rank === 1 ? 1 : 0),
            rank2_bids: s.rank2_bids + (rank === 2 ? 1 : 0),
            rank3_bids: s.rank3_bids + (rank === 3 ? 1 : 0),
            min_price: Math.min(s.min_price, b.price),
            max_price: Math.max(s.max_price, b.price),
            sum_price: s.sum_price + b.price,
          };
        },
      )
      .mapValues('q17-rows', (s, [auction, day]) => ({
        auction,
        day,
        total_bids: s.total_bids,
        rank1_bids: s.rank1_bids,
        rank2_bids: s.rank2_bids,
        rank3_bids: s.rank3_bids,
        min_price: s.min_price,
        max_price: s.max_price,
        avg_price: s.sum_price / s.total_bids,
        sum_price: s.sum_price,
      }))
      .toStream(),
};
