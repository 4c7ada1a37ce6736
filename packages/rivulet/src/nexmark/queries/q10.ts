import type { NexmarkQuery } from '../nexmark-query.ts';
import { utcDay, utcMinute } from './utc-format.ts';

/**
 * Log to partitioned files: every bid with the day and minute it belongs to (the reference writes them
 * to files partitioned by those two columns; here they go to the query's output topic).
 */
export const q10: NexmarkQuery = {
  name: 'q10',
  output: 'append',
  build: ({ bids }) =>
    bids.map((b) => ({
      auction: b.auction,
      bidder: b.bidder,
      price: b.price,
      dateTime: b.dateTime,
      extra: b.extra,
      dt: utcDay(b.dateTime),
      hm: utcMinute(b.dateTime),
    })),
};
