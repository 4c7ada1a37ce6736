import { bidRow } from '../bid-row.ts';
import type { NexmarkQuery } from '../nexmark-query.ts';

/** Deduplication: the latest bid per (bidder, auction) by event time (on a tie, the later processed). */
export const q18: NexmarkQuery = {
  name: 'q18',
  output: 'upsert',
  build: ({ bids }) =>
    bids
      .keyBy((b) => [b.bidder, b.auction] as const)
      .reduce('q18-latest', (latest, b) => (b.dateTime >= latest.dateTime ? b : latest))
      .mapValues('q18-rows', bidRow)
      .toStream(),
};
