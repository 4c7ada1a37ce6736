import type { NexmarkQuery } from '../nexmark-query.ts';

/** String splitting: the first three directories of each bid's url (SPLIT_INDEX(url, '/', 3..5); null past the end). */
export const q22: NexmarkQuery = {
  name: 'q22',
  output: 'append',
  build: ({ bids }) =>
    bids.map((b) => {
      const parts = b.url.split('/');
      return {
        auction: b.auction,
        bidder: b.bidder,
        price: b.price,
        channel: b.channel,
        dir1: parts[3] ?? null,
        dir2: parts[4] ?? null,
        dir3: parts[5] ?? null,
      };
    }),
};
