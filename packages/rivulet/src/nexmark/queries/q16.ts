import type { NexmarkQuery } from '../nexmark-query.ts';
import { rankCounts } from './rank-counts.ts';
import { utcDay, utcMinute } from './utc-format.ts';

/** Channel statistics per day: q15's counts per (channel, day), with the latest minute seen. */
export const q16: NexmarkQuery = {
  name: 'q16',
  output: 'upsert',
  build: ({ bids }) =>
    rankCounts(
      'q16',
      bids,
      (b) => [b.channel, utcDay(b.dateTime)] as const,
      (b) => utcMinute(b.dateTime),
    )
      .mapValues('q16-rows', ({ minute, ...counts }, [channel, day]) => ({ channel, day, minute, ...counts }))
      .toStream(),
};
