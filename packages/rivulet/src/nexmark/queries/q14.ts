import type { NexmarkQuery } from '../nexmark-query.ts';
import { utcHour } from './utc-format.ts';

/** Occurrences of character code `c` in `s` (the reference's count_char UDF). */
function countChar(s: string, c: number): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === c) n++;
  return n;
}

/** Projection and filter with a user function: mid-priced bids, their time of day and their 'c' count. */
export const q14: NexmarkQuery = {
  name: 'q14',
  output: 'append',
  build: ({ bids }) =>
    bids
      .filter((b) => 0.908 * b.price > 1_000_000 && 0.908 * b.price < 50_000_000)
      .map((b) => {
        const hour = utcHour(b.dateTime);
        return {
          auction: b.auction,
          bidder: b.bidder,
          price: 0.908 * b.price,
          bidTimeType:
            hour >= 8 && hour <= 18 ? 'dayTime' : hour <= 6 || hour >= 20 ? 'nightTime' : 'otherTime',
          dateTime: b.dateTime,
          extra: b.extra,
          c_counts: countChar(b.extra, 99),
        };
      }),
};
