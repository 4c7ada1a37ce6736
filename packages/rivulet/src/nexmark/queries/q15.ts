import type { NexmarkQuery } from '../nexmark-query.ts';
import { rankCounts } from './rank-counts.ts';
import { utcDay } from './utc-format.ts';

/** Bidding statistics per day: bids, distinct bidders and distinct auctions, in total and per price rank. */
export const q15: NexmarkQuery = {
  name: 'q15',
  output: 'upsert',
  build: ({ bids }) =>
    rankCounts('q15', bids, (b) => utcDay(b.dateTime))
      .mapValues('q15-rows', ({ minute: _, ...counts }, day) => ({ day, ...counts }))
      .toStream(),
};
